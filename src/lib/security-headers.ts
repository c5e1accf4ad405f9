// Security headers (helmet) on every response, and CORS (cors) when CORS_ORIGINS is set. Both are the
// Express middlewares run directly on node:http; they only set headers (and CORS answers preflights).
import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';
import helmet from 'helmet';
import type { ServerConfig } from '../server.config.js';

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** Headers a browser client may read on a cross-origin response. */
const EXPOSED_HEADERS = [
  'X-Request-Id',
  'Retry-After',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  'RateLimit',
  'RateLimit-Policy',
  'X-Inbound-Outcome',
  'Allow',
  'ETag',
  'Idempotent-Replayed',
];

/** Runs a middleware that calls `next` synchronously or ends the response itself (helmet, cors). */
function run(mw: Middleware, req: IncomingMessage, res: ServerResponse): boolean {
  let passed = false;
  let failure: unknown;
  mw(req, res, (err) => {
    passed = true;
    failure = err;
  });
  if (failure) throw failure;
  return passed;
}

/** Yoga's GraphiQL page: GET /graphql asked for as HTML (yoga's own test). */
export function wantsGraphiQL(req: IncomingMessage, path: string): boolean {
  return path === '/graphql' && req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
}

export function createSecurityHeaders(server: ServerConfig) {
  const common = {
    // A JSON API is never framed; GraphiQL is not either.
    frameguard: { action: 'deny' as const },
    // HSTS matters behind TLS (browsers ignore it over plain HTTP); a year, subdomains, as helmet does.
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  };
  // Nothing this API returns is a page to render: no sources at all, never framed.
  const api = helmet({
    ...common,
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  }) as Middleware;
  // The GraphiQL page sets its own CSP (graphql/graphiql.ts: its inline script by hash, workers from
  // blob:, requests to this origin only); every other header as usual.
  const graphiql = helmet({ ...common, contentSecurityPolicy: false }) as Middleware;
  // Signed download links are capabilities meant to be used from other origins (an <img> in a client
  // app): their resource policy allows that. The files door sets its own sandboxing CSP.
  const files = helmet({ ...common, contentSecurityPolicy: false, crossOriginResourcePolicy: { policy: 'cross-origin' } }) as Middleware;

  const origins = server.corsOrigins;
  const corsMw: Middleware | undefined = origins
    ? (cors({
        origin: origins === '*' ? '*' : origins,
        methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
        // API keys travel in the Authorization header, never in cookies.
        credentials: false,
        exposedHeaders: EXPOSED_HEADERS,
        maxAge: 600,
        optionsSuccessStatus: 204,
      }) as Middleware)
    : undefined;

  /**
   * Sets the headers for this request. Returns false when the response is already complete (a CORS
   * preflight answered with 204).
   */
  return function applySecurity(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const headers = path.startsWith('/v1/files/') ? files : server.graphiql && wantsGraphiQL(req, path) ? graphiql : api;
    run(headers, req, res);
    if (!corsMw) return true;
    return run(corsMw, req, res) && !res.writableEnded;
  };
}
