// The OpenAPI 3.1 document for /v1, generated from the REST schema and the route table. Sofa's own
// document is not accurate enough to publish (sofa-api 0.18: dangling scalar refs, body fields doubled as
// query parameters, no errors, no security), so it is built here from the same sources.
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isIntrospectionType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLOutputType,
  type GraphQLSchema,
  type GraphQLType,
} from 'graphql';
import { toSnake } from '../lib/casing.js';
import { READ_CACHE_CONTROL } from './conditional.js';
import { webhookDocs } from './openapi-webhooks.js';
import type { RestRoute } from './route-types.js';

type JsonSchema = Record<string, unknown>;

const SCALARS: Record<string, JsonSchema> = {
  ID: { type: 'string' },
  String: { type: 'string' },
  Int: { type: 'integer', format: 'int32' },
  Float: { type: 'number' },
  Boolean: { type: 'boolean' },
  DateTime: { type: 'string', format: 'date-time' },
  JSONObject: { type: 'object', additionalProperties: true },
  Upload: { type: 'string', format: 'binary' },
};

function typeSchema(type: GraphQLType): { schema: JsonSchema; required: boolean } {
  if (isNonNullType(type)) return { schema: typeSchema(type.ofType).schema, required: true };
  if (isListType(type)) return { schema: { type: 'array', items: typeSchema(type.ofType).schema }, required: false };
  if (isScalarType(type)) return { schema: SCALARS[type.name] ?? { type: 'string' }, required: false };
  return { schema: { $ref: `#/components/schemas/${type.name}` }, required: false };
}

/** OpenAPI 3.1 is JSON Schema 2020-12: null is a type (`type: [..., "null"]`), not a `nullable` flag. */
function nullable(s: JsonSchema, required: boolean): JsonSchema {
  if (required) return s;
  if (typeof s.type === 'string') return { ...s, type: [s.type, 'null'] };
  const { description, ...rest } = s;
  return { anyOf: [rest, { type: 'null' }], ...(description ? { description } : {}) };
}

function componentSchemas(schema: GraphQLSchema): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type)) continue;
    if (isEnumType(type)) out[type.name] = { type: 'string', enum: type.getValues().map((v) => v.value as string) };
    if (isObjectType(type) || isInputObjectType(type)) {
      const properties: Record<string, JsonSchema> = {};
      const required: string[] = [];
      for (const f of Object.values(type.getFields())) {
        const t = typeSchema(f.type);
        properties[f.name] = nullable({ ...t.schema, ...(f.description ? { description: f.description } : {}) }, t.required);
        if (t.required) required.push(f.name);
      }
      out[type.name] = {
        type: 'object',
        ...(type.description ? { description: type.description } : {}),
        properties,
        ...(required.length ? { required } : {}),
        ...(isInputObjectType(type) ? { additionalProperties: false } : {}),
      };
    }
  }
  out.Error = {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message', 'details'],
        properties: {
          code: { type: 'string', examples: ['validation_error'] },
          message: { type: 'string' },
          details: {
            type: 'object',
            additionalProperties: true,
            description: 'For validation errors: `fields`, a map from field path to messages.',
          },
        },
      },
    },
  };
  return out;
}

const ERRORS: Record<string, string> = {
  '400': 'Malformed request (e.g. invalid JSON)',
  '401': 'Missing or invalid API key',
  '404': "Resource not found (also for another account's resources)",
  '405': 'Method not allowed on this path',
  '413': 'Request body too large',
  '415': 'Unsupported Content-Type',
  '409': 'Conflict: a request with the same Idempotency-Key is still being processed (retry after `Retry-After`)',
  '422': 'Validation failed; `details.fields` lists every bad field',
  '429': 'Rate limit exceeded',
  '500': 'Internal error',
};

/** What every successful read carries (conditional.ts): a strong ETag of the body, and no shared caching. */
const READ_HEADERS = {
  ETag: { description: 'Strong validator of this answer (a hash of its body); send it in If-None-Match', schema: { type: 'string' } },
  'Cache-Control': { description: `\`${READ_CACHE_CONTROL}\`: revalidate before reuse`, schema: { type: 'string' } },
};

/** The HEAD operation of a GET: same parameters and statuses, no response bodies. */
function headOf(get: Record<string, unknown>): Record<string, unknown> {
  const responses = get.responses as Record<string, Record<string, unknown>>;
  const ok = Object.entries(responses).find(([code]) => code.startsWith('2'))!;
  const { content: _body, ...okHeaders } = ok[1];
  return {
    ...get,
    operationId: `${get.operationId}Head`,
    summary: `${get.summary} (headers only)`,
    responses: { ...responses, [ok[0]]: okHeaders },
  };
}

function argDoc(arg: GraphQLArgument): { schema: JsonSchema; required: boolean; description?: string } {
  const t = typeSchema(arg.type);
  return { schema: t.schema, required: t.required && arg.defaultValue === undefined, description: arg.description ?? undefined };
}

export function buildOpenApi(schema: GraphQLSchema, routes: RestRoute[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const [typeName, camel] = route.field.split('.');
    const root = typeName === 'Query' ? schema.getQueryType()! : schema.getMutationType()!;
    const field = root.getFields()[toSnake(camel)];
    const openPath = route.path.replace(/:(\w+)/g, '{$1}');
    const pathParams = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
    const hasBody = route.method === 'POST' || route.method === 'PATCH';
    const parameters: unknown[] = [];
    const bodyProps: Record<string, JsonSchema> = {};
    const bodyRequired: string[] = [];
    for (const arg of field.args) {
      const d = argDoc(arg);
      if (pathParams.includes(arg.name)) {
        parameters.push({ name: arg.name, in: 'path', required: true, schema: d.schema, description: d.description });
      } else if (hasBody) {
        bodyProps[arg.name] = { ...d.schema, ...(d.description ? { description: d.description } : {}) };
        if (d.required) bodyRequired.push(arg.name);
      } else {
        parameters.push({
          name: arg.name,
          in: 'query',
          required: d.required,
          schema: d.schema,
          ...(d.description ? { description: d.description } : {}),
        });
      }
    }
    const status = String(route.status ?? 200);
    const isRead = route.method === 'GET';
    const operation: Record<string, unknown> = {
      operationId: camel,
      summary: route.summary,
      ...(field.description ? { description: field.description } : {}),
      tags: [route.path.split('/')[1]],
      ...(route.method === 'POST'
        ? { parameters: [...parameters, { $ref: '#/components/parameters/IdempotencyKey' }] }
        : isRead
          ? { parameters: [...parameters, { $ref: '#/components/parameters/IfNoneMatch' }] }
          : parameters.length
            ? { parameters }
            : {}),
      ...(hasBody
        ? {
            requestBody: {
              required: bodyRequired.length > 0,
              content: {
                // Routes with their own handler take multipart uploads (routes.ts).
                [route.handler ? 'multipart/form-data' : 'application/json']: {
                  schema: {
                    type: 'object',
                    properties: bodyProps,
                    additionalProperties: false,
                    ...(bodyRequired.length ? { required: bodyRequired } : {}),
                  },
                },
              },
            },
          }
        : {}),
      responses: {
        [status]: {
          description: 'Success',
          ...(route.method === 'POST'
            ? {
                headers: {
                  'Idempotent-Replayed': {
                    description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key',
                    schema: { type: 'string', enum: ['true'] },
                  },
                },
              }
            : isRead
              ? { headers: READ_HEADERS }
              : {}),
          content: { 'application/json': { schema: typeSchema(getNamedType(field.type) as GraphQLOutputType).schema } },
        },
        ...(isRead ? { '304': { $ref: '#/components/responses/NotModified' } } : {}),
        ...Object.fromEntries(
          Object.keys(ERRORS)
            .filter((code) => code !== '409' || route.method === 'POST')
            .map((code) => [code, { $ref: `#/components/responses/E${code}` }]),
        ),
      },
    };
    (paths[openPath] ??= {})[route.method.toLowerCase()] = operation;
    // HEAD wherever GET is (conditional.ts): the GET's headers and status, no body.
    if (isRead) paths[openPath].head = headOf(operation);
  }
  const events = webhookDocs();
  return {
    openapi: '3.1.0',
    info: {
      title: 'AImyChats API',
      version: '1.0.0',
      description: 'Conversation intelligence: conversations, AI summaries, search, attachments, exports and webhooks.',
    },
    servers: [{ url: '/v1' }],
    security: [{ bearerAuth: [] }],
    paths,
    // What AImyChats sends to webhook endpoints, one entry per event type (docs/webhooks.md).
    webhooks: events.webhooks,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key (`Authorization: Bearer amc_…`) or an OAuth access token (docs/oauth.md)',
        },
      },
      schemas: { ...componentSchemas(schema), ...events.schemas },
      parameters: {
        IfNoneMatch: {
          name: 'If-None-Match',
          in: 'header',
          required: false,
          description: 'ETags from earlier answers (or `*`): when one matches the current answer, a 304 without a body.',
          schema: { type: 'string' },
        },
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            'Makes a retry safe (docs/api.md): the same key with the same request within 24 h answers the first response again, ' +
            'with `Idempotent-Replayed: true`; the same key with another request is a 422; while the first runs, a 409.',
          schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7e]+$' },
        },
      },
      responses: {
        NotModified: { description: 'Not modified: the answer still has the ETag sent in If-None-Match (no body)', headers: READ_HEADERS },
        ...Object.fromEntries(
          Object.entries(ERRORS).map(([code, description]) => [
            `E${code}`,
            { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
          ]),
        ),
      },
    },
  };
}
