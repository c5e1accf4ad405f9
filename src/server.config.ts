// The HTTP server's own settings in the one configuration schema (src/config.ts spreads SERVER_ENV into
// it, calls `serverConfigIssues` in its superRefine and `serverConfig` to build `config.server`):
// timeouts against slow clients, CORS, GraphQL exposure, /metrics and /readyz.
import { z } from 'zod';
import { envBool as bool } from './env.config.js';

const ms = (min: number) => z.coerce.number().int().min(min).max(3_600_000);

/** `*`, or a comma-separated list of origins (`https://app.example.com,http://localhost:5173`). */
const corsOrigins = z.string().transform((s, ctx) => {
  if (s.trim() === '*') return '*' as const;
  const origins = s
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const o of origins) {
    let u: URL | undefined;
    try {
      u = new URL(o);
    } catch {
      u = undefined;
    }
    if (!u || !/^https?:$/.test(u.protocol) || u.origin !== o.replace(/\/$/, '')) {
      ctx.addIssue({ code: 'custom', message: `"${o}" is not an origin (scheme://host[:port], no path); use * or a comma-separated list` });
      return z.NEVER;
    }
  }
  return origins.map((o) => o.replace(/\/$/, ''));
});

export const SERVER_ENV = {
  /** Headers must be complete this long after a request starts; the whole request (body included) within the next. */
  HTTP_HEADERS_TIMEOUT_MS: ms(100).default(20_000),
  HTTP_REQUEST_TIMEOUT_MS: ms(100).default(120_000),
  /** Idle keep-alive connections; above the 60 s idle timeout of common load balancers. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: ms(100).default(65_000),
  /** Unset: no CORS headers at all. */
  CORS_ORIGINS: corsOrigins.optional(),
  /** Default: on in development and test, off when NODE_ENV=production. */
  GRAPHQL_INTROSPECTION: bool.optional(),
  GRAPHIQL: bool.optional(),
  /** Set: GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** `npm run worker` only: serve /metrics (and /healthz) on this port; unset: no HTTP in workers. */
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Each /readyz dependency check gives up after this long. */
  READYZ_TIMEOUT_MS: ms(50).default(2_000),
};

type ServerEnv = z.output<z.ZodObject<typeof SERVER_ENV>>;

export interface ServerConfig {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Unset: CORS off. */
  corsOrigins?: '*' | string[];
  introspection: boolean;
  graphiql: boolean;
  metricsToken?: string;
  metricsPort?: number;
  readyzTimeoutMs: number;
}

export function serverConfigIssues(e: ServerEnv, addIssue: (path: string, message: string) => void): void {
  // node:http refuses a headers timeout longer than the request timeout.
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) addIssue('HTTP_HEADERS_TIMEOUT_MS', 'must not exceed HTTP_REQUEST_TIMEOUT_MS');
}

export function serverConfig(e: ServerEnv & { NODE_ENV: string }): ServerConfig {
  const exposed = e.NODE_ENV !== 'production';
  return {
    headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    corsOrigins: e.CORS_ORIGINS,
    introspection: e.GRAPHQL_INTROSPECTION ?? exposed,
    graphiql: e.GRAPHIQL ?? exposed,
    metricsToken: e.METRICS_TOKEN,
    metricsPort: e.METRICS_PORT,
    readyzTimeoutMs: e.READYZ_TIMEOUT_MS,
  };
}
