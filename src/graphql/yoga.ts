// The /graphql door: graphql-yoga over the Pothos schema, GraphiQL on a browser GET.
import type { ServerResponse } from 'node:http';
import { getOperationAST, GraphQLError, NoSchemaIntrospectionCustomRule, type DocumentNode, type GraphQLSchema } from 'graphql';
import { createYoga, type Plugin } from 'graphql-yoga';
import type { App } from '../app.js';
import { AppError, isAppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { recordGraphQLError, recordGraphQLOperation } from '../lib/metrics.js';
import { graphQLTracingPlugins } from '../lib/tracing.js';
import type { Principal } from '../modules/accounts/authenticate.js';
import { authenticateRequest } from '../modules/accounts/authenticate-request.js';
import { useOAuthScopes } from './oauth-scopes.js';
import { createRequestContext } from './context.js';
import { useIdempotency } from './idempotency.js';
import { useQueryBounds } from './query-bounds.js';
import { useGraphQLUpload } from './upload.js';

export interface GraphQLServerContext {
  requestId: string;
  log: Logger;
  baseUrl: string;
  onAuthenticated(accountId: string, oauthClientId?: string): void;
}

/** The GraphQL error for an AppError: same code as REST; HTTP status only where it is the whole request's fate. */
const admittedRequests = new WeakMap<Request, Principal>();

/**
 * Authentication, rate limits and usage counting for HTTP requests as soon as their parameters are read,
 * before parsing and validation: a request refused there (a syntax error, an unknown field, too deep)
 * is still authenticated, limited and counted like any other — otherwise it would be free and unlimited.
 */
function useAdmission(app: App): Plugin<Record<string, unknown>, GraphQLServerContext & { res?: ServerResponse }> {
  return {
    async onParams({ request, context, setResult }) {
      try {
        const principal = await authenticateRequest(app, request.headers.get('authorization'), context.baseUrl);
        context.onAuthenticated(principal.accountId, principal.oauth?.clientId);
        await app.accounting.admit(principal, '/graphql', context.res);
        admittedRequests.set(request, principal);
      } catch (e) {
        if (!isAppError(e)) throw e;
        setResult({ errors: [graphQLErrorFrom(e)] });
      }
    },
  };
}

export function graphQLErrorFrom(e: AppError, from?: GraphQLError): GraphQLError {
  const wholeRequest = e.code === 'unauthorized' || e.code === 'rate_limit_exceeded' || e.code === 'payload_too_large';
  return new GraphQLError(e.message, {
    nodes: from?.nodes,
    source: from?.source,
    positions: from?.positions,
    path: from?.path,
    extensions: {
      code: e.code,
      ...(Object.keys(e.details).length ? { details: e.details } : {}),
      ...(wholeRequest ? { http: { status: e.status, headers: e.headers } } : {}),
    },
  });
}

// graphql-js and Yoga name their own failures in SCREAMING_CASE; clients get the public codes.
const FOREIGN_CODES: Record<string, string> = {
  GRAPHQL_PARSE_FAILED: 'bad_request',
  GRAPHQL_VALIDATION_FAILED: 'bad_request',
  BAD_USER_INPUT: 'validation_error',
  BAD_REQUEST: 'bad_request',
  PERSISTED_QUERY_NOT_FOUND: 'bad_request',
};

function publicCode(e: { message: string; extensions?: Record<string, unknown> }): string {
  const code = e.extensions?.code;
  if (typeof code === 'string' && /^[a-z_]+$/.test(code)) return code;
  if (typeof code === 'string' && FOREIGN_CODES[code]) return FOREIGN_CODES[code];
  return /^Variable "\$/.test(e.message) ? 'validation_error' : 'bad_request';
}

const usePublicErrorCodes = (): Plugin => ({
  onResultProcess({ result }) {
    const results = Array.isArray(result) ? result : [result];
    for (const r of results) {
      const errors = (r as { errors?: GraphQLError[] }).errors;
      if (!errors) continue;
      for (const e of errors) (e.extensions as Record<string, unknown>).code = publicCode(e);
    }
  },
});

/** Prometheus counters: operations by name and type, and every error of a response by its public code. */
const useMetrics = (): Plugin => {
  const count = ({ document, operationName }: { document: DocumentNode; operationName?: string | null }) => {
    const op = getOperationAST(document, operationName);
    recordGraphQLOperation(op?.name?.value, op?.operation ?? 'unknown');
  };
  return {
    onExecute: ({ args }) => count(args),
    onSubscribe: ({ args }) => count(args),
    // After usePublicErrorCodes: the codes are the public ones.
    onResultProcess({ result }) {
      for (const r of Array.isArray(result) ? result : [result]) {
        for (const e of (r as { errors?: GraphQLError[] }).errors ?? []) recordGraphQLError(String(e.extensions?.code ?? 'internal_error'));
      }
    },
  };
};

/** GRAPHQL_INTROSPECTION=false (the production default): `__schema` and `__type` fail validation. */
const useNoIntrospection = (): Plugin => ({
  onValidate({ addValidationRule }) {
    addValidationRule(NoSchemaIntrospectionCustomRule);
  },
});

export function createGraphQLDoor(app: App, schema: GraphQLSchema) {
  return createYoga<GraphQLServerContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // The body limit is enforced in server.ts from Content-Length (cheaper than Yoga's stream check).
    maxRequestBodySize: false,
    // The GraphiQL page is served by server.ts from the package, not from a CDN (graphiql.ts).
    graphiql: false,
    // CORS is server.ts's (CORS_ORIGINS), the same for every door; Yoga's own would allow any origin.
    cors: false,
    // Yoga's own multipart parsing is off: uploads stream through graphql-upload-minimal (upload.ts).
    multipart: false,
    plugins: [
      useAdmission(app),
      useIdempotency(app, (request) => admittedRequests.get(request)),
      useGraphQLUpload(app.config.files.maxUploadBytes),
      useOAuthScopes(),
      usePublicErrorCodes(),
      useMetrics(),
      ...(app.config.server.introspection ? [] : [useNoIntrospection()]),
      ...useQueryBounds(),
      ...graphQLTracingPlugins(),
    ],
    // Yoga reports every error it returns; the unexpected ones are logged by maskError below.
    logging: {
      debug: (...a) => app.log.debug(a.map(String).join(' ')),
      info: (...a) => app.log.debug(a.map(String).join(' ')),
      warn: (...a) => app.log.warn(a.map(String).join(' ')),
      error: (...a) => app.log.debug(a.map(String).join(' ')),
    },
    context: async ({
      request,
      requestId,
      log,
      baseUrl,
      onAuthenticated,
      res,
    }: GraphQLServerContext & { request: Request; res?: ServerResponse }) => {
      try {
        // Admitted before parsing (useAdmission); operations over WebSocket are admitted here.
        let principal = admittedRequests.get(request);
        if (!principal) {
          principal = await authenticateRequest(app, request.headers.get('authorization'), baseUrl);
          onAuthenticated(principal.accountId, principal.oauth?.clientId);
          await app.accounting.admit(principal, '/graphql', res); // rate limits (429) and usage counting
        }
        return createRequestContext(app, principal, requestId, log, baseUrl);
      } catch (e) {
        throw isAppError(e) ? graphQLErrorFrom(e) : e;
      }
    },
    maskedErrors: {
      maskError(error, message) {
        const gqlError = error instanceof GraphQLError ? error : undefined;
        const original = gqlError?.originalError ?? (gqlError ? undefined : error);
        if (isAppError(original)) return graphQLErrorFrom(original, gqlError);
        // graphql-upload-minimal stops a file over the limit with its own 413 (http-errors), which can
        // reach a resolver before the service's own limit check does.
        if ((original as { status?: unknown } | undefined)?.status === 413) {
          const limit = app.config.files.maxUploadBytes;
          return graphQLErrorFrom(
            new AppError('payload_too_large', `The upload must be at most ${limit} bytes`, { limit_bytes: limit }),
            gqlError,
          );
        }
        // graphql-js's own errors (syntax, validation, variable coercion) are the client's to read.
        if (gqlError && (!original || original instanceof GraphQLError)) return gqlError;
        app.log.error({ err: original ?? error }, 'unexpected error in GraphQL request');
        return new GraphQLError(message, { path: gqlError?.path, extensions: { code: 'internal_error' } });
      },
    },
  });
}
