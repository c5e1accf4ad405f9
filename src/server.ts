// HTTP entry: request ids, security headers and CORS, metrics, health checks, and the two doors
// (/graphql and /v1). No business logic.
import crypto from 'node:crypto';
import http from 'node:http';
import type { App } from './app.js';
import { attachGraphQLWebSocket } from './graphql/websocket.js';
import { createGraphiQLPage } from './graphql/graphiql.js';
import { createGraphQLDoor } from './graphql/yoga.js';
import { schema } from './graphql/schema.js';
import { AppError } from './lib/errors.js';
import { sendError, sendJson } from './lib/http.js';
import { bindMetricsSource, httpRequestDuration, serveMetrics } from './lib/metrics.js';
import { createReadinessChecks } from './lib/readiness.js';
import { createSecurityHeaders, wantsGraphiQL } from './lib/security-headers.js';
import { traceHttpServer } from './lib/tracing.js';
import { settleUnreadBody } from './lib/unread-body.js';
import { createFilesDoor, FILES_PREFIX } from './rest/files-door.js';
import { searchReadinessChecks } from './modules/search/search-readiness.js';
import { createRestDoor } from './rest/rest-door.js';
import { createRouteMatcher } from './rest/routes.js';
import { OAUTH_PREFIX } from './modules/oauth/oauth-server.js';
import { createWhatsAppWebhook, WHATSAPP_WEBHOOK_PATH } from './modules/inbound/whatsapp/whatsapp-webhook.js';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export type AppServer = http.Server & {
  /** Ends every GraphQL subscription (WebSocket and SSE), so that a graceful stop is not held up by them. */
  closeSubscriptions(): Promise<void>;
};

export function createHttpServer(app: App): AppServer {
  const yoga = createGraphQLDoor(app, schema);
  const rest = createRestDoor(app, schema);
  const files = createFilesDoor(app);
  const whatsapp = createWhatsAppWebhook(app);
  const graphiql = app.config.server.graphiql ? createGraphiQLPage() : undefined;
  const security = createSecurityHeaders(app.config.server);
  const readiness = createReadinessChecks(app, searchReadinessChecks(app.config));
  const routeOf = createRouteTemplates();
  const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, metricsToken } = app.config.server;

  const options: http.ServerOptions = {
    // Against slow clients (slowloris): headers must be complete within headersTimeout and the whole
    // request within requestTimeout, else node answers 408 and closes. Checked every
    // connectionsCheckingInterval, so that is kept well below both.
    headersTimeout: headersTimeoutMs,
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(headersTimeoutMs / 4))),
  };

  const server = http.createServer(
    options,
    traceHttpServer(async (req, res) => {
      const started = process.hrtime.bigint();
      const incoming = req.headers['x-request-id'];
      const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
      res.setHeader('X-Request-Id', requestId);
      settleUnreadBody(req, res); // a refusal written before the body was read still reaches the client
      const log = app.log.child({ requestId });
      let accountId: string | undefined;
      let oauthClientId: string | undefined; // the third-party app acting, for OAuth access tokens
      const onAuthenticated = (id: string, clientId?: string) => {
        accountId = id;
        oauthClientId = clientId;
      };
      res.on('finish', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        httpRequestDuration.observe(
          { route: routeOf(req.method, req.url), method: methodLabel(req.method), status: String(res.statusCode) },
          seconds,
        );
        log.info(
          // An inbound email token in the query string is a credential: not in the logs.
          {
            method: req.method,
            url: req.url?.replace(/([?&]token=)[^&]*/gi, '$1[redacted]'),
            status: res.statusCode,
            accountId,
            ...(oauthClientId ? { oauthClientId } : {}),
            ms: seconds * 1e3,
          },
          'request',
        );
      });

      const host = req.headers.host ?? `localhost:${app.config.port}`;
      let url: URL;
      try {
        url = new URL(req.url ?? '/', `http://${host}`);
      } catch {
        security(req, res, '');
        sendError(res, new AppError('bad_request', 'Malformed request URL'));
        return;
      }
      const baseUrl = app.config.publicUrl ?? `${req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http'}://${host}`;
      const path = url.pathname;

      try {
        if (!security(req, res, path)) return; // a CORS preflight, answered
        // Signed download links: no API key (docs/spec/product.md §3).
        if (path.startsWith(FILES_PREFIX)) return await files(req, res, url);
        // The WhatsApp Cloud API webhook checks Meta's signature instead of an API key (docs/spec/product.md §3).
        if (path === WHATSAPP_WEBHOOK_PATH) return await whatsapp(req, res, url, log);
        if (path === '/v1' || path.startsWith('/v1/')) return await rest(req, res, url, { requestId, log, baseUrl, onAuthenticated });
        if (graphiql && wantsGraphiQL(req, path)) return await graphiql(req, res);
        if (path === '/graphql') {
          const tooBig = graphqlBodyProblem(req, app.config.jsonBodyLimitBytes);
          if (tooBig) return sendJson(res, tooBig.status, { errors: [{ message: tooBig.message, extensions: { code: tooBig.code } }] });
          return await yoga(req, res, { requestId, log, baseUrl, onAuthenticated });
        }
        // OAuth 2.0 for third-party apps (docs/oauth.md): the authorization server, its consent page and discovery.
        if (path.startsWith(OAUTH_PREFIX) || path.startsWith('/.well-known/')) return await app.oauth.handle(req, res, url, baseUrl, log);
        if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
        if (path === '/readyz') return await ready(readiness, res);
        if (path === '/metrics') return await serveMetrics(req, res, metricsToken);
        sendError(res, new AppError('not_found', `No route for ${req.method} ${path}`));
      } catch (err) {
        log.error({ err }, 'unhandled error');
        if (!res.headersSent) sendError(res, new AppError('internal_error', 'An internal error occurred'));
        else res.destroy();
      }
    }),
  );
  server.on('clientError', answerClientError);
  const unbindMetrics = bindMetricsSource(app);
  server.once('close', () => {
    unbindMetrics();
    readiness.close();
  });
  const ws = attachGraphQLWebSocket(server, yoga, app);
  return Object.assign(server, {
    closeSubscriptions: async () => {
      await ws.close();
      await app.events.endSubscriptions(); // SSE streams too
    },
  });
}

/**
 * The JSON body limit for /graphql, from Content-Length. Yoga's own limit streams every body through a
 * TransformStream (≈0.1 ms a request, stack of AbortSignals); declared lengths are enough, so a POST
 * must declare one. Multipart uploads have their own per-file limit.
 */
function graphqlBodyProblem(req: http.IncomingMessage, limit: number): { status: number; code: string; message: string } | null {
  if (req.method !== 'POST') return null;
  if (/^multipart\//i.test(req.headers['content-type'] ?? '')) return null;
  const declared = req.headers['content-length'];
  if (declared === undefined) return { status: 411, code: 'bad_request', message: 'POST /graphql needs a Content-Length header' };
  if (Number(declared) > limit) return { status: 413, code: 'payload_too_large', message: `Request body must be at most ${limit} bytes` };
  return null;
}

async function ready(readiness: ReturnType<typeof createReadinessChecks>, res: http.ServerResponse): Promise<void> {
  const { ready: ok, checks } = await readiness.check();
  sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'unavailable', checks }, { 'Cache-Control': 'no-store' });
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const methodLabel = (m: string | undefined) => (m && METHODS.has(m) ? m : 'other');

/**
 * The route template of a request for metrics labels: `/v1/conversations/:id`, never an id. The /v1
 * routes come from the REST route table (a wrong method still gets its path's template); anything
 * unknown is one `unmatched` label, so that no client can create series at will.
 */
function createRouteTemplates() {
  const match = createRouteMatcher();
  const fixed = new Set(['/graphql', '/healthz', '/readyz', '/metrics', '/v1/openapi.json', WHATSAPP_WEBHOOK_PATH]);
  return (method: string | undefined, rawUrl: string | undefined): string => {
    const path = (rawUrl ?? '/').split('?')[0];
    if (fixed.has(path)) return path;
    if (path.startsWith(FILES_PREFIX)) return `${FILES_PREFIX}:id/:name`;
    if (!path.startsWith('/v1/')) return 'unmatched';
    const rest = path.slice('/v1'.length);
    let found = match(method ?? 'GET', rest);
    if (found && 'allowed' in found) found = match(found.allowed[0], rest);
    return found && 'match' in found ? `/v1${found.match.route.path}` : 'unmatched';
  };
}

/**
 * What Node would answer itself before any handler runs (headers too large, a malformed request, a
 * request too slow to arrive), in the error envelope like every other answer; then the connection closes.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: import('node:stream').Duplex): void {
  // A response already under way on this connection (a pipelined request went wrong): no second one inside it.
  if (err.code === 'ECONNRESET' || !socket.writable || (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, reason, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'payload_too_large', 'The request line and headers must be at most 16 KB']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'bad_request', 'The request did not arrive in time']
        : [400, 'Bad Request', 'bad_request', 'Malformed HTTP request'];
  const body = JSON.stringify({ error: { code, message, details: {} } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
