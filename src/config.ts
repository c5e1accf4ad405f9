// The one place that reads the environment. Everything else receives `Config`.
import path from 'node:path';
import { z } from 'zod';
import { envBool as bool } from './env.config.js';
import { QUEUES, type QueueName } from './jobs/queues.config.js';
import { WEBHOOK_ENV, webhooksConfig, type WebhooksConfig } from './modules/webhooks/webhooks.config.js';
import { INBOUND_ENV, inboundConfig, inboundConfigIssues, type InboundConfig } from './modules/inbound/inbound.config.js';
import { SERVER_ENV, serverConfig, serverConfigIssues, type ServerConfig } from './server.config.js';
import { TRACING_ENV, tracingConfig, type TracingConfig } from './lib/tracing.config.js';

const plan = z.object({
  storageLimitMb: z.number().positive(),
  requestsPerDay: z.number().int().positive(),
  requestsPerMinute: z.number().int().positive(),
  /** Whether the account may register OAuth apps and its apps' tokens work (docs/oauth.md). */
  oauth: z.boolean().default(false),
});
export type Plan = z.input<typeof plan>;

/** Plans are configuration (docs/spec/product.md §3); `PLANS_JSON` adds or overrides plans. */
const DEFAULT_PLANS: Record<string, Plan> = {
  free: { storageLimitMb: 50, requestsPerDay: 1000, requestsPerMinute: 60 },
  professional: { storageLimitMb: 200, requestsPerDay: 5000, requestsPerMinute: 300 },
  pro: { storageLimitMb: 2000, requestsPerDay: 50000, requestsPerMinute: 1000, oauth: true },
};

const redisUrl = z
  .string()
  .refine((u) => URL.canParse(u) && /^rediss?:$/.test(new URL(u).protocol), 'must be a redis:// or rediss:// URL')
  .refine((u) => {
    if (!URL.canParse(u)) return true; // reported by the check above
    const db = new URL(u).pathname.replace(/^\//, '');
    return db === '' || /^\d+$/.test(db);
  }, 'the path must be a database number, e.g. redis://127.0.0.1:6379/2');

// One check, not .url() then a refine: zod runs the refine even after .url() failed, and `new URL` then
// threw past the schema (a raw "Invalid URL" instead of the variable's name).
const httpUrl = z.string().refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), 'must be an http:// or https:// URL');

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    PUBLIC_URL: z
      .string()
      .url()
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
    DATABASE_URL: z
      .string()
      .refine((u) => /^postgres(ql)?:\/\//.test(u), 'must be a postgres:// or postgresql:// URL')
      .optional(),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    DATA_DIR: z.string().min(1).default('./.data'),
    REDIS_URL: redisUrl.optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    CONTENT_MAX_CHARS: z.coerce.number().int().min(1).default(100_000),
    JSON_BODY_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024),
    DEFAULT_PLAN: z.string().min(1).default('free'),
    PLANS_JSON: z
      .string()
      .transform((s, ctx) => {
        try {
          return JSON.parse(s) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be valid JSON' });
          return z.NEVER;
        }
      })
      .pipe(z.record(z.string(), plan))
      .optional(),
    API_KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).default(10_000),
    // OAuth 2.0 for third-party apps (src/modules/oauth, docs/oauth.md).
    OAUTH_ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(3600),
    OAUTH_REFRESH_TOKEN_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .default(30 * 86_400),
    /** Comma-separated keys signing the consent flow's cookies; every instance needs the same ones. */
    OAUTH_COOKIE_KEYS: z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((k) => k.trim())
          .filter(Boolean),
      )
      .refine((keys) => keys.length > 0 && keys.every((k) => k.length >= 32), 'must be comma-separated keys of at least 32 characters')
      .optional(),
    // Usage accounting and rate limits (src/modules/usage): Redis with REDIS_URL, in-process otherwise.
    RATE_LIMITS_ENABLED: bool.default(true),
    USAGE_FLUSH_INTERVAL_MS: z.coerce.number().int().min(100).default(5_000),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
    // Jobs (src/jobs): BullMQ when REDIS_URL is set, in-process otherwise.
    RUN_WORKERS: bool.default(true),
    QUEUE_PREFIX: z
      .string()
      .regex(/^[\w-]{1,64}$/, 'letters, digits, _ and - only')
      .default('aimychats'),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(4),
    /** Queues this process's workers consume (comma-separated); all by default. Lets a deployment give webhooks their own workers. */
    WORKER_QUEUES: z
      .string()
      .transform((v, ctx) => {
        const names = [
          ...new Set(
            v
              .split(',')
              .map((q) => q.trim())
              .filter(Boolean),
          ),
        ];
        const unknown = names.filter((q) => !(QUEUES as readonly string[]).includes(q));
        if (!names.length || unknown.length) {
          ctx.addIssue({ code: 'custom', message: `must be a comma-separated list of: ${QUEUES.join(', ')}` });
          return z.NEVER;
        }
        return names as QueueName[];
      })
      .optional(),
    JOB_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(5),
    JOB_BACKOFF_MS: z.coerce.number().int().min(0).default(2_000),
    JOB_RECOVERY_INTERVAL_MS: z.coerce.number().int().min(0).default(60_000),
    // How long a BullMQ worker's lock on a job lasts without renewal: a worker that died is noticed (and its
    // job run again elsewhere) after about this long.
    JOB_LOCK_MS: z.coerce.number().int().min(500).default(30_000),
    // Summaries (docs/spec/product.md §5): the local summarizer unless SUMMARY_PROVIDER=openai.
    SUMMARY_PROVIDER: z.enum(['local', 'openai']).default('local'),
    OPENAI_BASE_URL: z.string().url().optional(),
    OPENAI_API_KEY: z.string().optional(),
    OPENAI_MODEL: z.string().optional(),
    OPENAI_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
    OPENAI_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
    OPENAI_CHUNK_CHARS: z.coerce.number().int().min(1000).default(24_000),
    // Search (src/modules/search, docs/search.md): SEARCH_ENGINE picks the engine; without it,
    // Elasticsearch when ELASTICSEARCH_URL is set, PostgreSQL otherwise.
    SEARCH_ENGINE: z.enum(['postgres', 'elasticsearch', 'opensearch']).optional(),
    SEARCH_URL: httpUrl.optional(),
    ELASTICSEARCH_URL: httpUrl.optional(),
    ELASTICSEARCH_API_KEY: z.string().optional(),
    ELASTICSEARCH_INDEX: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,200}$/, 'lowercase letters, digits, _ and - only')
      .default('aimychats-conversations'),
    ELASTICSEARCH_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    // Webhooks (src/modules/webhooks).
    ...WEBHOOK_ENV,
    // Inbound email and WhatsApp (src/modules/inbound).
    ...INBOUND_ENV,
    // HTTP server: timeouts, CORS, GraphQL exposure, /metrics, /readyz (src/server.config.ts).
    ...SERVER_ENV,
    // OpenTelemetry tracing, off unless an OTLP endpoint is set (src/lib/tracing.config.ts).
    ...TRACING_ENV,
    // Attachments and exports (src/lib/storage, modules/attachments, modules/exports): local disk under
    // DATA_DIR unless S3_BUCKET is set.
    MAX_UPLOAD_BYTES: z.coerce
      .number()
      .int()
      .min(1)
      .max(2 ** 31 - 1)
      .default(25 * 1024 * 1024),
    FILE_SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    SIGNED_URL_TTL_SECONDS: z.coerce.number().int().min(1).default(3600),
    S3_BUCKET: z.string().min(1).optional(),
    S3_ENDPOINT: z.string().url().optional(),
    S3_REGION: z.string().min(1).default('us-east-1'),
    S3_ACCESS_KEY_ID: z.string().optional(),
    S3_SECRET_ACCESS_KEY: z.string().optional(),
    S3_FORCE_PATH_STYLE: bool.optional(),
    S3_PREFIX: z.string().default(''),
    EXPORT_TTL_HOURS: z.coerce
      .number()
      .min(0.001)
      .default(7 * 24),
    EXPORT_CLEANUP_INTERVAL_MS: z.coerce.number().int().min(0).default(3_600_000),
    EXPORT_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  })
  .superRefine((e, ctx) => {
    inboundConfigIssues(e, (key, message) => ctx.addIssue({ code: 'custom', path: [key], message }));
    serverConfigIssues(e, (key, message) => ctx.addIssue({ code: 'custom', path: [key], message }));
    if (e.S3_BUCKET && !e.S3_ACCESS_KEY_ID !== !e.S3_SECRET_ACCESS_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: [e.S3_ACCESS_KEY_ID ? 'S3_SECRET_ACCESS_KEY' : 'S3_ACCESS_KEY_ID'],
        message: 'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together',
      });
    }
    // Enabling a feature makes its settings required: SUMMARY_PROVIDER=openai needs the key and the model.
    if (e.SUMMARY_PROVIDER === 'openai') {
      for (const key of ['OPENAI_API_KEY', 'OPENAI_MODEL'] as const) {
        if (!e[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required when SUMMARY_PROVIDER=openai' });
      }
    }
    if ((e.SEARCH_ENGINE === 'elasticsearch' || e.SEARCH_ENGINE === 'opensearch') && !e.SEARCH_URL && !e.ELASTICSEARCH_URL) {
      ctx.addIssue({ code: 'custom', path: ['SEARCH_URL'], message: `is required when SEARCH_ENGINE=${e.SEARCH_ENGINE}` });
    }
  });

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  publicUrl?: string;
  databaseUrl?: string;
  databasePoolSize: number;
  dataDir: string;
  redisUrl?: string;
  logLevel: string;
  contentMaxChars: number;
  jsonBodyLimitBytes: number;
  defaultPlan: string;
  plans: Record<string, Plan>;
  apiKeyCacheTtlMs: number;
  oauth: OAuthConfig;
  /** Reject requests over the plan's limits (429); when false, requests are still counted and reported. */
  rateLimitsEnabled: boolean;
  /** How often counted requests are written to PostgreSQL (and on shutdown). */
  usageFlushIntervalMs: number;
  shutdownTimeoutMs: number;
  jobs: JobsConfig;
  summaries: SummariesConfig;
  search: SearchConfig;
  webhooks: WebhooksConfig;
  inbound: InboundConfig;
  files: FilesConfig;
  exports: ExportsConfig;
  server: ServerConfig;
  /** Set when an OTLP endpoint is: OpenTelemetry tracing (src/lib/tracing.ts). */
  tracing?: TracingConfig;
}

export interface OAuthConfig {
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Unset → random keys per process (a consent started on one instance must then finish on it). */
  cookieKeys?: string[];
}

export interface FilesConfig {
  /** Per-file upload limit in bytes (413 above it). */
  maxUploadBytes: number;
  /** HMAC key of signed download links; unset → generated once into DATA_DIR/file-signing.key. */
  signingSecret?: string;
  signedUrlTtlSeconds: number;
  /** Set when S3_BUCKET is: an S3-compatible store replaces the local disk (DATA_DIR/files). */
  s3?: {
    bucket: string;
    endpoint?: string;
    region: string;
    accessKeyId?: string;
    secretAccessKey?: string;
    forcePathStyle: boolean;
    prefix: string;
  };
}

export interface ExportsConfig {
  /** How long a finished export can be downloaded (7 days). */
  ttlMs: number;
  /** How often the cleanup job removes expired export files (0 = never). */
  cleanupIntervalMs: number;
  /** Conversations read per database round trip while writing an export. */
  batchSize: number;
}

export interface SearchConfig {
  /**
   * Set for a distributed engine (SEARCH_ENGINE=elasticsearch|opensearch with SEARCH_URL, or
   * ELASTICSEARCH_URL alone): it replaces PostgreSQL full-text search. `kind` picks the client.
   */
  elasticsearch?: { kind: 'elasticsearch' | 'opensearch'; url: string; apiKey?: string; index: string; timeoutMs: number };
}

export interface JobsConfig {
  /** Run job workers inside this process (`npm start`); always true without Redis. */
  runWorkers: boolean;
  /** BullMQ key prefix: deployments sharing one Redis database can be kept apart by it. */
  prefix: string;
  concurrency: number;
  /** Queues consumed here (WORKER_QUEUES); undefined = all. Without Redis every queue runs in-process regardless. */
  queues?: QueueName[];
  attempts: number;
  /** First retry delay; each further retry doubles it. */
  backoffMs: number;
  /** How often workers look for work left without a job that long (0 = never). */
  recoveryIntervalMs: number;
  /** BullMQ job lock: a dead worker's job runs again elsewhere after about this long. */
  lockMs: number;
}

export interface SummariesConfig {
  provider: 'local' | 'openai';
  openai?: { baseUrl?: string; apiKey: string; model: string; timeoutMs: number; maxRetries: number; chunkChars: number };
}

export class ConfigError extends Error {}

/** The distributed search engine the variables ask for, if any (docs/configuration.md, "Search"). */
function remoteSearchConfig(e: z.infer<typeof envSchema>): SearchConfig['elasticsearch'] {
  const kind = e.SEARCH_ENGINE ?? (e.ELASTICSEARCH_URL ? 'elasticsearch' : 'postgres');
  if (kind === 'postgres') return undefined;
  const url = e.SEARCH_URL ?? e.ELASTICSEARCH_URL!;
  return { kind, url, apiKey: e.ELASTICSEARCH_API_KEY, index: e.ELASTICSEARCH_INDEX, timeoutMs: e.ELASTICSEARCH_TIMEOUT_MS };
}

/** Parses the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset": shells and compose files often export VAR= .
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const plans = { ...DEFAULT_PLANS, ...(e.PLANS_JSON ?? {}) };
  if (!plans[e.DEFAULT_PLAN]) {
    throw new ConfigError(`Invalid configuration:\n  DEFAULT_PLAN: unknown plan "${e.DEFAULT_PLAN}"`);
  }
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    dataDir: path.resolve(e.DATA_DIR),
    redisUrl: e.REDIS_URL,
    logLevel: e.LOG_LEVEL,
    contentMaxChars: e.CONTENT_MAX_CHARS,
    jsonBodyLimitBytes: e.JSON_BODY_LIMIT_BYTES,
    defaultPlan: e.DEFAULT_PLAN,
    plans,
    apiKeyCacheTtlMs: e.API_KEY_CACHE_TTL_MS,
    oauth: {
      accessTokenTtlSeconds: e.OAUTH_ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: e.OAUTH_REFRESH_TOKEN_TTL_SECONDS,
      cookieKeys: e.OAUTH_COOKIE_KEYS,
    },
    rateLimitsEnabled: e.RATE_LIMITS_ENABLED,
    usageFlushIntervalMs: e.USAGE_FLUSH_INTERVAL_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    jobs: {
      runWorkers: e.RUN_WORKERS,
      prefix: e.QUEUE_PREFIX,
      concurrency: e.WORKER_CONCURRENCY,
      queues: e.WORKER_QUEUES,
      attempts: e.JOB_ATTEMPTS,
      backoffMs: e.JOB_BACKOFF_MS,
      recoveryIntervalMs: e.JOB_RECOVERY_INTERVAL_MS,
      lockMs: e.JOB_LOCK_MS,
    },
    summaries: {
      provider: e.SUMMARY_PROVIDER,
      openai:
        e.SUMMARY_PROVIDER === 'openai'
          ? {
              baseUrl: e.OPENAI_BASE_URL,
              apiKey: e.OPENAI_API_KEY!,
              model: e.OPENAI_MODEL!,
              timeoutMs: e.OPENAI_TIMEOUT_MS,
              maxRetries: e.OPENAI_MAX_RETRIES,
              chunkChars: e.OPENAI_CHUNK_CHARS,
            }
          : undefined,
    },
    webhooks: webhooksConfig(e),
    inbound: inboundConfig(e),
    search: {
      elasticsearch: remoteSearchConfig(e),
    },
    files: {
      maxUploadBytes: e.MAX_UPLOAD_BYTES,
      signingSecret: e.FILE_SIGNING_SECRET,
      signedUrlTtlSeconds: e.SIGNED_URL_TTL_SECONDS,
      s3: e.S3_BUCKET
        ? {
            bucket: e.S3_BUCKET,
            endpoint: e.S3_ENDPOINT,
            region: e.S3_REGION,
            accessKeyId: e.S3_ACCESS_KEY_ID,
            secretAccessKey: e.S3_SECRET_ACCESS_KEY,
            forcePathStyle: e.S3_FORCE_PATH_STYLE ?? e.S3_ENDPOINT !== undefined,
            prefix: e.S3_PREFIX,
          }
        : undefined,
    },
    server: serverConfig(e),
    tracing: tracingConfig(e),
    exports: {
      ttlMs: Math.round(e.EXPORT_TTL_HOURS * 3_600_000),
      cleanupIntervalMs: e.EXPORT_CLEANUP_INTERVAL_MS,
      batchSize: e.EXPORT_BATCH_SIZE,
    },
  };
}

/** For entry points: the configuration, or the process stops with a message naming each bad variable. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}
