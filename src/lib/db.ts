// The database: PostgreSQL when DATABASE_URL is set, otherwise an embedded PGlite in DATA_DIR.
// Prisma is used for most work; `query` runs raw SQL for hot paths, where Prisma's overhead
// (≈2.2× the latency of plain `pg` for a 20-row page, measured with Prisma 7 over adapter-pg) matters.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';
import type { Config } from '../config.js';
import { AppError, nulTextError } from './errors.js';
import type { Logger } from './logger.js';
import { tracePrisma, traceQuery } from './tracing.js';

export type Row = Record<string, unknown>;

export interface Database {
  kind: 'postgres' | 'pglite';
  prisma: PrismaClient;
  /** One SQL statement with positional parameters ($1, $2…). */
  query<T = Row>(text: string, params?: unknown[]): Promise<T[]>;
  /** Several statements in one transaction, no parameters (migrations). */
  execScript(sql: string): Promise<void>;
  /** Runs `fn` while holding a database-wide lock (serialises migrations across processes). */
  withLock<T>(key: number, fn: () => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  /** The PostgreSQL pool's connections (for /metrics); undefined on the embedded database. */
  poolStats?(): { total: number; idle: number; waiting: number; max: number };
  close(): Promise<void>;
}

// timestamptz → Date and int8 → number for raw queries, as Prisma would give.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export async function openDatabase(config: Config, log: Logger, opts: { shareEmbedded?: boolean } = {}): Promise<Database> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl, config.databasePoolSize, log);
  // A running server owns the embedded data directory; other processes (the CLI) reach it through
  // the Unix socket the server opens there.
  const socket = embeddedSocketPath(config.dataDir);
  if (!opts.shareEmbedded && (await socketAnswers(socket))) {
    log.debug({ socket }, "using the running server's embedded database");
    // One connection, and no advisory lock: every socket client shares PGlite's single session,
    // so a lock would only wait for ourselves.
    return openPostgres(`postgresql://postgres@localhost/postgres?host=${encodeURIComponent(path.dirname(socket))}`, 1, log, {
      locks: false,
    });
  }
  return openEmbedded(config.dataDir, log, opts.shareEmbedded ? socket : undefined);
}

/** pg looks for `<dir>/.s.PGSQL.5432` when given a directory as host. */
export function embeddedSocketPath(dataDir: string): string {
  return path.join(dataDir, '.s.PGSQL.5432');
}

async function socketAnswers(socket: string): Promise<boolean> {
  if (!fs.existsSync(socket)) return false;
  const net = await import('node:net');
  return new Promise((resolve) => {
    const c = net.createConnection(socket);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export function openPostgres(url: string, max: number, log: Logger, opts: { locks?: boolean } = {}): Database {
  // connectionTimeoutMillis bounds both a new connection and the wait for a free one: an unreachable
  // server is a 503 after that long, never a request that hangs.
  //
  // JIT compilation is off for our sessions (`-c jit=off` in the start-up packet; an `options` parameter in
  // DATABASE_URL replaces it): PostgreSQL compiles a statement whose estimated cost passes jit_above_cost,
  // and the search statement, priced for every match in the account, does — compiling took 10–150 ms of
  // statements that run in 2–40 ms (issue 14, docs/search.md). Every statement here is bounded by a LIMIT
  // or a key, so compilation is never repaid.
  const pool = new pg.Pool({
    connectionString: url,
    options: '-c jit=off',
    max,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  pool.on('error', (err) => log.error({ err }, 'idle PostgreSQL client error'));
  // A transaction waits for a connection as long as any query does (Prisma's default is 2 s, which a
  // burst on a busy machine exceeds: that was a 500). See TRANSACTION_TIMEOUT_MS for its lifetime.
  const prisma = withAppErrors(
    new PrismaClient({ adapter: new PrismaPg(pool), transactionOptions: { maxWait: CONNECT_TIMEOUT_MS, timeout: TRANSACTION_TIMEOUT_MS } }),
  );
  return {
    kind: 'postgres',
    prisma,
    async query<T>(text: string, params: unknown[] = []) {
      try {
        return (await traceQuery(text, () => pool.query(text, params))).rows as T[];
      } catch (e) {
        throw asAppError(e);
      }
    },
    async execScript(sql) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(sql);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        throw e;
      } finally {
        client.release();
      }
    },
    async withLock(key, fn) {
      if (opts.locks === false) return fn();
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock($1)', [key]);
        return await fn();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => {});
        client.release();
      }
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max }),
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

async function openEmbedded(dataDir: string, log: Logger, shareOn?: string): Promise<Database> {
  const [{ PGlite }, { pg_trgm }, { PrismaPGlite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
    import('pglite-prisma-adapter'),
  ]);
  const dir = path.join(dataDir, 'pglite');
  fs.mkdirSync(dir, { recursive: true });
  const started = Date.now();
  const db = await PGlite.create(dir, { extensions: { pg_trgm } });
  log.info({ dir, ms: Date.now() - started }, 'embedded database open');
  const prisma = withAppErrors(
    new PrismaClient({ adapter: new PrismaPGlite(db), transactionOptions: { timeout: TRANSACTION_TIMEOUT_MS } }),
  );
  let socketServer: { stop(): Promise<void> } | undefined;
  if (shareOn) {
    const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
    fs.rmSync(shareOn, { force: true }); // left over from a process that did not stop cleanly
    const server = new PGLiteSocketServer({ db, path: shareOn, maxConnections: 16 });
    await server.start();
    socketServer = server;
  }
  return {
    kind: 'pglite',
    prisma,
    async query<T>(text: string, params: unknown[] = []) {
      try {
        return (await traceQuery(text, () => db.query<T>(text, params))).rows;
      } catch (e) {
        throw asAppError(e);
      }
    },
    async execScript(sql) {
      await db.transaction(async (tx) => {
        await tx.exec(sql);
      });
    },
    async withLock(_key, fn) {
      // One process owns the data directory, and PGlite has one connection: nothing to serialise.
      return fn();
    },
    async ping() {
      await db.query('SELECT 1');
    },
    async close() {
      await socketServer?.stop();
      await prisma.$disconnect();
      // $disconnect does not close PGlite, and an open PGlite keeps the process alive.
      await db.close();
    },
  };
}

const CONNECT_TIMEOUT_MS = 10_000;
/**
 * How long an interactive transaction may live. Ours are a few short statements, but the writes of
 * one account take turns on its `account_storage` row (usage/storage-quota.ts), so under a burst a
 * transaction can wait seconds for its turn. Prisma's default (5 s) then rolled the transaction back
 * from under a nested write whose next statement ran outside it: a foreign-key error and a 500
 * (1,000 concurrent creates for one account on a busy machine). An expired one is still a 503.
 */
const TRANSACTION_TIMEOUT_MS = 60_000;
const RETRY_AFTER_S = 5;
// Node socket errors, and pg's own messages for a connection that went away or could not be had.
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const PG_MESSAGES =
  /Connection terminated|connection error and is not queryable|Client was closed and is not queryable|timeout exceeded when trying to connect|Can't reach database server|Unable to start a transaction in the given time/i;
// SQLSTATE: class 08 connection exceptions (not 08P01, a protocol violation: that is the statement's
// fault, e.g. more than 65,535 parameters), 57P01-03 (admin shutdown, crash shutdown, cannot connect
// now: stopping or starting), 53300 (too many connections).
const PG_STATES = /^(0800[0-46-7]|57P0[123]|53300)$/;
// Prisma's codes for the same, and the driver adapter's kinds (meta.driverAdapterError.cause.kind).
// P2028: the transaction could not start in time or expired (a burst), never the statement's fault.
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);

/**
 * Whether `e` says the database cannot be reached right now (down, restarting, unreachable, out of
 * connections) rather than that the statement was wrong: such failures are the client's to retry.
 */
export function isConnectionError(e: unknown): boolean {
  for (let cur = e, depth = 0; cur && typeof cur === 'object' && depth < 5; depth++) {
    const err = cur as {
      code?: unknown;
      message?: unknown;
      meta?: { driverAdapterError?: { cause?: { kind?: string; code?: string } } };
      cause?: unknown;
    };
    const code = typeof err.code === 'string' ? err.code : '';
    if (SOCKET_CODES.has(code) || PG_STATES.test(code) || PRISMA_CODES.has(code)) return true;
    const adapter = err.meta?.driverAdapterError?.cause;
    if (adapter && (ADAPTER_KINDS.has(adapter.kind ?? '') || PG_STATES.test(adapter.code ?? ''))) return true;
    if (typeof err.message === 'string' && PG_MESSAGES.test(err.message)) return true;
    cur = err.cause;
  }
  return false;
}

/**
 * The one mapping of database errors that are the caller's to the API: a lost database is 503
 * `service_unavailable` with Retry-After; text with U+0000 (which PostgreSQL refuses) is a 422.
 */
function asAppError(e: unknown): unknown {
  if (e instanceof AppError) return e;
  if (isConnectionError(e)) {
    return new AppError(
      'service_unavailable',
      'The database is busy or unavailable; try again shortly',
      {},
      { 'Retry-After': String(RETRY_AFTER_S) },
    );
  }
  return nulTextError(e) ?? e;
}

/**
 * Every Prisma operation (model queries, raw queries, those inside transactions) and the start of a
 * transaction report such errors as AppErrors (asAppError), so REST, GraphQL, jobs and the CLI all
 * see the same error through their existing AppError mapping.
 */
function withAppErrors(prisma: PrismaClient): PrismaClient {
  const extended = prisma.$extends({
    query: {
      async $allOperations({ model, operation, args, query }) {
        try {
          return await tracePrisma(model, operation, () => query(args));
        } catch (e) {
          throw asAppError(e);
        }
      },
    },
  }) as unknown as PrismaClient;
  return new Proxy(extended, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (prop !== '$transaction') return value;
      return (...args: unknown[]) =>
        (value as (...a: unknown[]) => Promise<unknown>).apply(target, args).catch((e: unknown) => {
          throw asAppError(e);
        });
    },
  });
}
