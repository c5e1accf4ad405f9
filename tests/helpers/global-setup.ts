// One fresh PostgreSQL database per test run, migrated once; dropped at the end.
// TEST_DATABASE_ADMIN_URL names the server (default: the local trust-auth PostgreSQL).
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openPostgres } from '../../src/lib/db.js';
import { createLogger } from '../../src/lib/logger.js';
import { applyMigrations } from '../../src/lib/migrate.js';

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://root@127.0.0.1:5432/postgres';

export default async function setup(project: TestProject) {
  const name = `aimychats_test_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();

  const db = openPostgres(databaseUrl, 2, createLogger('silent'));
  await applyMigrations(db, createLogger('silent'));
  await db.close();

  project.provide('databaseUrl', databaseUrl);
  process.env.TEST_DATABASE_URL = databaseUrl;

  return async () => {
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}
