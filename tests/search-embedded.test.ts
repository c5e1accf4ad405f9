// Search on the embedded database (PGlite): the migration (pg_trgm, btree_gin, triggers) applies and
// the same service finds, ranks, highlights and corrects typos there.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { openDatabase, type Database } from '../src/lib/db.js';
import { newId } from '../src/lib/ids.js';
import { createLogger } from '../src/lib/logger.js';
import { applyMigrations } from '../src/lib/migrate.js';
import { searchConversations } from '../src/modules/search/search-conversations.js';

let dir: string;
let db: Database;
const log = createLogger('silent');
const config = () => loadConfig({ DATA_DIR: dir, NODE_ENV: 'test' });

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aimychats-search-'));
  db = await openDatabase(config(), log);
  expect(db.kind).toBe('pglite');
  await applyMigrations(db, log);
}, 120_000);

afterAll(async () => {
  await db?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('search on PGlite', () => {
  it('finds, highlights, filters and tolerates typos', async () => {
    const app = { config: config(), db, log };
    const accountId = newId('account');
    await db.query(`INSERT INTO accounts (id, email, plan, updated_at) VALUES ($1, $2, 'free', now())`, [
      accountId,
      `${accountId}@example.com`,
    ]);
    const ids = [newId('conversation'), newId('conversation')];
    await db.query(
      `INSERT INTO conversations (id, account_id, title, content) VALUES ($1, $3, 'Pricing call', 'We discussed <b>pricing</b> and features.'),
                                                                        ($2, $3, 'Other', 'Nothing about money.')`,
      [ids[0], ids[1], accountId],
    );
    const scope = { accountId, plan: 'free' };
    const res = await searchConversations(app, scope, {
      query: 'pricing features',
      filters: { dateTo: new Date().toISOString().slice(0, 10) },
    });
    expect(res.meta.total).toBe(1);
    expect(res.data[0]).toMatchObject({ id: ids[0], title: 'Pricing call' });
    expect(res.data[0].snippet).toBe('We discussed &lt;b&gt;<mark>pricing</mark>&lt;/b&gt; and <mark>features</mark>.');
    expect(res.data[0].score).toBeGreaterThan(0);
    expect(res.data[0].score).toBeLessThanOrEqual(1);

    const typo = await searchConversations(app, scope, { query: 'featurs' });
    expect(typo.data.map((h) => h.id)).toEqual([ids[0]]);

    const other = await searchConversations(app, { accountId: newId('account'), plan: 'free' }, { query: 'pricing' });
    expect(other.meta.total).toBe(0);
  });
});
