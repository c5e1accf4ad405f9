// HTTP entry: request ids, health checks, and the two doors (/graphql and /v1). No business logic.
import crypto from 'node:crypto';
import http from 'node:http';
import type { App } from './app.js';
import { attachGraphQLWebSocket } from './graphql/websocket.js';
import { createGraphQLDoor } from './graphql/yoga.js';
import { schema } from './graphql/schema.js';
import { AppError } from './lib/errors.js';
import { sendError, sendJson } from './lib/http.js';
import { createFilesDoor, FILES_PREFIX } from './rest/files-door.js';
import { createRestDoor } from './rest/rest-door.js';
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

  const server = http.createServer(async (req, res) => {
    const started = process.hrtime.bigint();
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    res.setHeader('X-Request-Id', requestId);
    const log = app.log.child({ requestId });
    let accountId: string | undefined;
    const onAuthenticated = (id: string) => {
      accountId = id;
    };
    res.on('finish', () => {
      log.info(
        // An inbound email token in the query string is a credential: not in the logs.
        { method: req.method, url: req.url?.replace(/([?&]token=)[^&]*/gi, '$1[redacted]'), status: res.statusCode, accountId, ms: Number(process.hrtime.bigint() - started) / 1e6 },
        'request',
      );
    });

    const host = req.headers.host ?? `localhost:${app.config.port}`;
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${host}`);
    } catch {
      sendError(res, new AppError('bad_request', 'Malformed request URL'));
      return;
    }
    const baseUrl = app.config.publicUrl ?? `${req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http'}://${host}`;
    const path = url.pathname;

    try {
      // Signed download links: no API key (product §3).
      if (path.startsWith(FILES_PREFIX)) return await files(req, res, url);
      // The WhatsApp Cloud API webhook checks Meta's signature instead of an API key (product §3).
      if (path === WHATSAPP_WEBHOOK_PATH) return await whatsapp(req, res, url, log);
      if (path === '/v1' || path.startsWith('/v1/')) return await rest(req, res, url, { requestId, log, baseUrl, onAuthenticated });
      if (path === '/graphql') {
        const tooBig = graphqlBodyProblem(req, app.config.jsonBodyLimitBytes);
        if (tooBig) return sendJson(res, tooBig.status, { errors: [{ message: tooBig.message, extensions: { code: tooBig.code } }] });
        return await yoga(req, res, { requestId, log, baseUrl, onAuthenticated });
      }
      if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
      if (path === '/readyz') return await ready(app, res);
      sendError(res, new AppError('not_found', `No route for ${req.method} ${path}`));
    } catch (err) {
      log.error({ err }, 'unhandled error');
      if (!res.headersSent) sendError(res, new AppError('internal_error', 'An internal error occurred'));
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 120_000;
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

async function ready(app: App, res: http.ServerResponse): Promise<void> {
  const checks: Record<string, string> = {};
  try {
    await app.db.ping();
    checks.database = 'ok';
  } catch (e) {
    checks.database = `error: ${(e as Error).message}`;
  }
  const ok = Object.values(checks).every((v) => v === 'ok');
  sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'unavailable', checks });
}
