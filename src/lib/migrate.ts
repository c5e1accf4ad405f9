// Applies the committed migrations in prisma/migrations, in order, each in its own transaction,
// recorded in Prisma's own `_prisma_migrations` table. Applying written SQL needs no schema engine,
// so this works with nothing but the npm registry (Prisma's native schema engine is a separate download
// that offline and registry-only machines cannot fetch).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './db.js';
import type { Logger } from './logger.js';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../prisma/migrations');
const LOCK_KEY = 7_240_431; // any constant shared by every process of this service

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  if (!fs.existsSync(dir)) return [];
  return (
    fs
      .readdirSync(dir, { withFileTypes: true })
      // Names are interpolated into SQL below; only plain directory names qualify.
      .filter((d) => d.isDirectory() && /^[\w-]+$/.test(d.name) && fs.existsSync(path.join(dir, d.name, 'migration.sql')))
      .map((d) => d.name)
      .sort()
      .map((name) => {
        const sql = fs.readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
        return { name, sql, checksum: crypto.createHash('sha256').update(sql).digest('hex') };
      })
  );
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

/** Returns the names of the migrations applied by this call. */
export async function applyMigrations(db: Database, log: Logger, dir = MIGRATIONS_DIR): Promise<string[]> {
  const migrations = readMigrations(dir);
  return db.withLock(LOCK_KEY, async () => {
    await db.query(CREATE_TABLE);
    const done = await db.query<{ migration_name: string; checksum: string }>(
      `SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const applied = new Map(done.map((r) => [r.migration_name, r.checksum]));
    const ran: string[] = [];
    for (const m of migrations) {
      const previous = applied.get(m.name);
      if (previous) {
        if (previous !== m.checksum) log.warn({ migration: m.name }, 'an applied migration was edited after it ran');
        continue;
      }
      const started = Date.now();
      // The migration and its record commit together: a failure leaves neither behind.
      await db.execScript(
        `${m.sql}\n;INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count)
         VALUES ('${crypto.randomUUID()}', '${m.checksum}', now(), '${m.name}', 1);`,
      );
      log.info({ migration: m.name, ms: Date.now() - started }, 'migration applied');
      ran.push(m.name);
    }
    return ran;
  });
}
