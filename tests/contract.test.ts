// The published contract: schema.graphql is current, and /v1/openapi.json is a valid OpenAPI 3.1
// document describing every route with parameters, bodies, responses, errors and bearer security, and
// every webhook event's payload.
import fs from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printedSchema } from '../src/graphql/schema.js';
import { REST_ROUTES } from '../src/rest/routes.js';
import { EVENT_TYPES, TEST_EVENT_TYPE } from '../src/modules/webhooks/event-types.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

describe('schema.graphql', () => {
  it('is up to date with the code (run `npm run schema:print` after changing the schema)', () => {
    const committed = fs.readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(printedSchema());
  });
});

describe('GET /v1/openapi.json', () => {
  it('is served without a key and validates', async () => {
    const res = await fetch(`${server.url}/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = await res.json();
    // validate() dereferences in place; keep the original for the checks below.
    await SwaggerParser.validate(structuredClone(doc));
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearerAuth).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
  });

  it('describes every route with its parameters, body, success and error responses', async () => {
    const doc = await (await fetch(`${server.url}/v1/openapi.json`)).json();
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${p}`));
    // HEAD wherever GET is (the server answers it; docs/api.md).
    const expected = REST_ROUTES.flatMap((r) =>
      (r.method === 'GET' ? ['GET', 'HEAD'] : [r.method]).map((m) => `${m} ${r.path.replace(/:(\w+)/g, '{$1}')}`),
    );
    expect(documented.sort()).toEqual(expected.sort());
    for (const r of REST_ROUTES) {
      const op = doc.paths[r.path.replace(/:(\w+)/g, '{$1}')][r.method.toLowerCase()];
      expect(op.responses[String(r.status ?? 200)], `${r.method} ${r.path}`).toBeDefined();
      for (const code of ['401', '404', '422', '500']) expect(op.responses[code]).toBeDefined();
      if (r.path.includes(':id')) expect(op.parameters).toContainEqual(expect.objectContaining({ name: 'id', in: 'path', required: true }));
    }
    const list = doc.paths['/conversations'].get;
    expect(
      list.parameters
        .filter((p: any) => !p.$ref)
        .map((p: any) => p.name)
        .sort(),
    ).toEqual(['page', 'per_page', 'search', 'sort', 'source', 'status']);
    // Conditional reads: If-None-Match in, ETag out, 304; HEAD has the GET's headers and no body.
    expect(list.parameters).toContainEqual({ $ref: '#/components/parameters/IfNoneMatch' });
    expect(list.responses['200'].headers).toHaveProperty('ETag');
    expect(list.responses['304']).toEqual({ $ref: '#/components/responses/NotModified' });
    const head = doc.paths['/conversations'].head;
    expect(head.responses['200'].headers).toHaveProperty('ETag');
    expect(head.responses['200']).not.toHaveProperty('content');
    expect(head.operationId).toBe('conversationsHead');
    const create = doc.paths['/conversations'].post.requestBody.content['application/json'].schema;
    expect(create.required.sort()).toEqual(['content', 'title']);
    expect(create.additionalProperties).toBe(false);
    expect(doc.components.schemas.ConversationListItem.properties).not.toHaveProperty('content');
    expect(doc.components.schemas.Conversation.properties).toHaveProperty('created_at');
  });

  it('is OpenAPI 3.1: null is a type, and every schema is valid JSON Schema 2020-12', async () => {
    const doc = await (await fetch(`${server.url}/v1/openapi.json`)).json();
    // swagger-parser checks the document's structure, not the JSON Schemas inside it.
    const ajv = new Ajv2020({ strict: false });
    const schemas: [string, unknown][] = [
      ...Object.entries(doc.components.schemas),
      ...Object.entries(doc.paths).flatMap(([p, ops]) =>
        Object.entries(ops as Record<string, any>).flatMap(([m, op]) => [
          ...Object.values(op.requestBody?.content ?? {}).map((c: any) => [`${m} ${p} body`, c.schema] as [string, unknown]),
          ...(op.parameters ?? []).filter((x: any) => x.schema).map((x: any) => [`${m} ${p} ${x.name}`, x.schema] as [string, unknown]),
        ]),
      ),
    ];
    for (const [name, schema] of schemas) expect(ajv.validateSchema(schema as object), `${name}: ${ajv.errorsText()}`).toBe(true);
    expect(JSON.stringify(doc)).not.toContain('"nullable"');
    // A field that may be null says so with a type list.
    expect(doc.components.schemas.Conversation.properties.summary.anyOf).toEqual([
      { $ref: '#/components/schemas/ConversationSummary' },
      { type: 'null' },
    ]);
    expect(doc.components.schemas.Summary.properties.language.type).toEqual(['string', 'null']);
  });

  it('documents Idempotency-Key and its 409 on every POST', async () => {
    const doc = await (await fetch(`${server.url}/v1/openapi.json`)).json();
    for (const r of REST_ROUTES) {
      const op = doc.paths[r.path.replace(/:(\w+)/g, '{$1}')][r.method.toLowerCase()];
      const hasKey = (op.parameters ?? []).some((p: any) => p.$ref === '#/components/parameters/IdempotencyKey');
      expect(hasKey, `${r.method} ${r.path}`).toBe(r.method === 'POST');
      expect(Boolean(op.responses['409']), `${r.method} ${r.path}`).toBe(r.method === 'POST');
    }
    expect(doc.components.parameters.IdempotencyKey).toMatchObject({ name: 'Idempotency-Key', in: 'header', schema: { maxLength: 255 } });
  });

  it('describes the payload of every webhook event type', async () => {
    const doc = await (await fetch(`${server.url}/v1/openapi.json`)).json();
    expect(Object.keys(doc.webhooks).sort()).toEqual([...EVENT_TYPES, TEST_EVENT_TYPE].sort());
    for (const type of Object.keys(doc.webhooks)) {
      const ref = doc.webhooks[type].post.requestBody.content['application/json'].schema.$ref as string;
      const payload = doc.components.schemas[ref.split('/').pop()!];
      expect(payload.required.sort(), type).toEqual(['created_at', 'data', 'id', 'type']);
      expect(payload.properties.type, type).toEqual({ const: type });
    }
  });
});
