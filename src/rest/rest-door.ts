// The /v1 REST door: route table → auth → input → Sofa (which executes the snake_case schema).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { execute, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import { createSofaRouter, createSofa } from 'sofa-api';
import type { App } from '../app.js';
import { createRequestContext, type RequestContext } from '../graphql/context.js';
import { AppError, errorBody, INTERNAL_ERROR, isAppError } from '../lib/errors.js';
import { readJsonObject, sendError, sendJson } from '../lib/http.js';
import type { Logger } from '../lib/logger.js';
import { traceGraphQL } from '../lib/tracing.js';
import { authenticateRequest } from '../modules/accounts/authenticate-request.js';
import { assertFieldScope } from '../modules/oauth/oauth-scopes.js';
import { toSnake } from '../lib/casing.js';
import { allowHeader, routeMethod, writeConditionalRead } from './conditional.js';
import { buildVariables } from './inputs.js';
import { buildOpenApi } from './openapi.js';
import { beginIdempotentRequest, multipartFingerprintBody } from './idempotency.js';
import { buildRestSchema } from './rest-schema.js';
import { createRouteMatcher, REST_ROUTES, REST_SHAPE } from './routes.js';

export interface RestRequestInfo {
  requestId: string;
  log: Logger;
  baseUrl: string;
  /** Tells the HTTP layer whose request this is (for the request log line). */
  onAuthenticated(accountId: string, oauthClientId?: string): void;
}

const variablesByContext = new WeakMap<object, Record<string, unknown>>();

/** Sofa answers with a Response built here from our error; field paths become snake_case. */
function envelopeFor(errors: readonly unknown[]): Response {
  const e = findAppError(errors) ?? INTERNAL_ERROR();
  const body = errorBody(e);
  const fields = body.error.details.fields as Record<string, string[]> | undefined;
  if (fields) {
    body.error.details = {
      ...body.error.details,
      fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k.split('.').map(toSnake).join('.'), v])),
    };
  }
  return new Response(JSON.stringify(body), {
    status: e.status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...(e.headers ?? {}) },
  });
}

function findAppError(errors: readonly unknown[]): AppError | undefined {
  for (const err of errors) {
    const original = (err as { originalError?: unknown }).originalError ?? err;
    if (isAppError(original)) return original;
  }
  return undefined;
}

export function createRestDoor(app: App, graphqlSchema: GraphQLSchema) {
  const restSchema = buildRestSchema(graphqlSchema, REST_SHAPE);
  const match = createRouteMatcher();
  const fieldOf = (f: string) => {
    const [typeName, fieldName] = f.split('.');
    const type = typeName === 'Query' ? restSchema.getQueryType() : restSchema.getMutationType();
    const field = type?.getFields()[toSnake(fieldName)];
    if (!field) throw new Error(`REST route for unknown field ${f}`);
    return field;
  };
  const argsByRoute = new Map(REST_ROUTES.map((r) => [r, fieldOf(r.field).args]));

  const sofa = createSofaRouter(
    createSofa({
      basePath: '/v1',
      schema: restSchema,
      routes: Object.fromEntries(
        REST_ROUTES.map((r) => [
          `${r.field.split('.')[0]}.${toSnake(r.field.split('.')[1])}`,
          { method: r.method, path: r.path, responseStatus: r.status ?? 200 },
        ]),
      ),
      context: ({ ctx }: { ctx: RequestContext }) => ctx,
      // Our variables, already validated, replace Sofa's own parsing of the request.
      execute: (async (args: ExecutionArgs) => {
        const ctx = args.contextValue as RequestContext;
        const result = await traceGraphQL(args, () => execute({ ...args, variableValues: variablesByContext.get(ctx) ?? {} }));
        for (const err of result.errors ?? []) {
          if (!findAppError([err])) ctx.log.error({ err: err.originalError ?? err }, 'unexpected error in REST request');
        }
        return result;
      }) as typeof execute,
      errorHandler: envelopeFor as never,
    }),
  );
  const openApiDocument = JSON.stringify(buildOpenApi(restSchema, REST_ROUTES));

  return async function handleRest(req: IncomingMessage, res: ServerResponse, url: URL, info: RestRequestInfo): Promise<void> {
    /** Sofa executes the route of `url` with the variables set for `ctx`; `status` replaces a success status. */
    const answer = async (target: URL, method: string, ctx: RequestContext, status?: number) => {
      const response = await sofa.fetch(new Request(target.toString(), { method }), { ctx });
      const text = await response.text();
      // An error's own headers (envelopeFor: Retry-After of a 503) go out with it.
      const retryAfter = response.headers.get('retry-after');
      const headers = {
        'Content-Type': response.headers.get('content-type') ?? 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(text),
        ...(retryAfter ? { 'Retry-After': retryAfter } : {}),
      };
      // GET and HEAD: ETag, If-None-Match → 304, no body for HEAD (conditional.ts).
      if (!status && writeConditionalRead(req, res, response.status, headers, text)) return;
      res.writeHead(status && response.ok ? status : response.status, headers);
      res.end(text);
    };
    try {
      const path = url.pathname.slice('/v1'.length) || '/';
      if (path === '/openapi.json' && (req.method === 'GET' || req.method === 'HEAD')) {
        writeConditionalRead(req, res, 200, { 'Content-Type': 'application/json; charset=utf-8' }, openApiDocument);
        return;
      }
      const found = match(routeMethod(req.method), path);
      if (!found) throw new AppError('not_found', `No route for ${req.method} ${url.pathname}`);
      if ('allowed' in found) {
        const allow = allowHeader(found.allowed);
        throw new AppError(
          'method_not_allowed',
          `${req.method} is not allowed on ${url.pathname}`,
          { allowed: allow.split(', ') },
          { Allow: allow },
        );
      }
      const { route, params } = found.match;
      const principal = route.authenticate
        ? await route.authenticate(app, req, url)
        : await authenticateRequest(app, req.headers.authorization, info.baseUrl);
      info.onAuthenticated(principal.accountId, principal.oauth?.clientId);
      assertFieldScope(principal.oauth, route.field); // OAuth tokens: 403 without the route's scope
      await app.accounting.admit(principal, route.path, res); // rate limits (429) and usage counting
      const idempotent = (body: unknown) =>
        route.method === 'POST' ? beginIdempotentRequest(app, req, res, principal.accountId, url, body, info.log) : Promise.resolve('none');
      if (route.handler) {
        if ((await idempotent(multipartFingerprintBody(req))) === 'answered') return;
        const handlerCtx = createRequestContext(app, principal, info.requestId, info.log, info.baseUrl);
        const view = await route.handler(req, res, handlerCtx, params);
        if (!view) return;
        // The handler made or found a resource: answer with what GET of its path answers, with the handler's status.
        const target = match('GET', view.path);
        if (!target || !('match' in target)) throw new Error(`No GET route for ${view.path}`);
        variablesByContext.set(handlerCtx, buildVariables(argsByRoute.get(target.match.route)!, { params: target.match.params }));
        return await answer(new URL(`/v1${view.path}`, url), 'GET', handlerCtx, view.status);
      }
      const hasBody = route.method === 'POST' || route.method === 'PATCH';
      const body = hasBody ? await readJsonObject(req, app.config.jsonBodyLimitBytes) : undefined;
      if ((await idempotent(body)) === 'answered') return;
      const variables = buildVariables(argsByRoute.get(route)!, {
        params,
        query: hasBody ? (url.search ? url.searchParams : undefined) : url.searchParams,
        body,
      });
      const ctx = createRequestContext(app, principal, info.requestId, info.log, info.baseUrl);
      variablesByContext.set(ctx, variables);
      // Sofa's router wants the exact path; ours ignores empty segments (`/v1/api_keys/`): give it the canonical one.
      const canonical = new URL(url);
      canonical.pathname = `/v1/${path.split('/').filter(Boolean).join('/')}`;
      await answer(canonical, route.method, ctx);
    } catch (e) {
      if (isAppError(e)) {
        const response = envelopeFor([e]);
        sendJson(res, response.status, await response.json(), e.headers);
      } else {
        info.log.error({ err: e }, 'unexpected error in REST door');
        sendError(res, INTERNAL_ERROR());
      }
    }
  };
}
