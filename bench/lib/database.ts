// A throw-away database for a benchmark or evaluation run: created fresh (so numbers never depend on
// what a previous run left behind), migrated with the project's own migrations, dropped at the end.
import pg from 'pg';
import { openPostgres, type Database } from '../../src/lib/db.js';
import { createLogger } from '../../src/lib/logger.js';
import { applyMigrations } from '../../src/lib/migrate.js';

export const DEFAULT_ADMIN_URL = 'postgres://root@127.0.0.1:5432/postgres';

export interface ScratchDatabase {
  name: string;
  url: string;
  /** A small pool on the new database (silent logger: the final DROP … WITH (FORCE) may cut it). */
  db: Database;
  /** Closes the pool and drops the database, even while other processes are still connected. */
  drop(): Promise<void>;
}

export async function createScratchDatabase(prefix: string, adminUrl = DEFAULT_ADMIN_URL, poolSize = 2): Promise<ScratchDatabase> {
  const name = `${prefix}_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const log = createLogger('silent');
  const db = openPostgres(url, poolSize, log);
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await db.close().catch(() => {});
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  };
  try {
    await applyMigrations(db, log);
  } catch (e) {
    await drop();
    throw e;
  }
  return { name, url, db, drop };
}
