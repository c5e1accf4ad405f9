// The database: PostgreSQL when DATABASE_URL is set, otherwise an embedded PGlite in DATA_DIR.
// Prisma is used for most work; `query` runs raw SQL for hot paths, where Prisma's overhead
// (≈2.2× the latency of plain `pg`, see stack-facts) matters.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';
import type { Config } from '../config.js';
import type { Logger } from './logger.js';

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
    log.debug({ socket }, 'using the running server\'s embedded database');
    // One connection, and no advisory lock: every socket client shares PGlite's single session,
    // so a lock would only wait for ourselves.
    return openPostgres(`postgresql://postgres@localhost/postgres?host=${encodeURIComponent(path.dirname(socket))}`, 1, log, { locks: false });
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
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000 });
  pool.on('error', (err) => log.error({ err }, 'idle PostgreSQL client error'));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    kind: 'postgres',
    prisma,
    async query<T>(text: string, params: unknown[] = []) {
      return (await pool.query(text, params)).rows as T[];
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
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) });
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
      return (await db.query<T>(text, params)).rows;
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
