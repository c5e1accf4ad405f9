// Search on a real OpenSearch 2.19 node (tools/opensearch), started by this file on a free port: the
// shared engine contract (tests/helpers/search-engine-suite.ts), then faults — the node stopped under
// load and started again. Never skipped: when the node cannot start (no Java or Maven, a build
// failure), beforeAll throws and the run fails with the launcher's output.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import fs from 'node:fs';
import { openPostgres } from '../src/lib/db.js';
import { createLogger } from '../src/lib/logger.js';
import { INDEX_MAPPINGS, INDEX_SETTINGS } from '../src/modules/search/elasticsearch/mapping.js';
import { startOpenSearch, tempDataDir, type OpenSearchNode } from '../tools/opensearch/launcher.js';
import { openSearchBackend } from '../src/modules/search/elasticsearch/opensearch-backend.js';
import { cli } from './helpers/cli.js';
import { bullEnv, dropPrefix, eventually, uniquePrefix } from './helpers/jobs.js';
import { freePort } from './helpers/processes.js';
import { describeSearchEngine, WAIT } from './helpers/search-engine-suite.js';
import { newAccount, startTestServer, type TestServer } from './helpers/server.js';

const REDIS_DB = 12;
let node: OpenSearchNode;
let dataDir: string;
let port: number;

beforeAll(async () => {
  port = await freePort();
  dataDir = tempDataDir();
  node = await startOpenSearch({ port, dataDir });
}, 300_000);
afterAll(async () => {
  await node?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

const sameIds = (hits: { id: string }[], ids: string[]) => JSON.stringify(hits.map((h) => h.id).sort()) === JSON.stringify([...ids].sort());

const engineEnv = () => ({ SEARCH_ENGINE: 'opensearch', SEARCH_URL: node.url });

describeSearchEngine('OpenSearch', REDIS_DB, async () => {
  const backend = openSearchBackend({ url: node.url, timeoutMs: 30_000 });
  return {
    env: engineEnv(),
    aliasIndices: (alias) => backend.aliasIndices(alias),
    cleanup: async (alias) => {
      for (const index of await backend.aliasIndices(alias).catch(() => [] as string[])) await backend.deleteIndex(index).catch(() => {});
      await backend.close();
    },
  };
});

describe('the index, as the OpenSearch backend creates it', () => {
  const index = `aimychats-index-${process.pid}-${Date.now().toString(36)}`;
  let backend: ReturnType<typeof openSearchBackend>;
  beforeAll(async () => {
    backend = openSearchBackend({ url: node.url, timeoutMs: 30_000 });
    await backend.createIndex(index, { settings: INDEX_SETTINGS, mappings: INDEX_MAPPINGS });
  });
  afterAll(async () => {
    await backend?.deleteIndex(index).catch(() => {});
    await backend?.close();
  });

  it("splits, drops stop words and stems as PostgreSQL's english configuration does (the engines agree on what a word is)", async () => {
    const text =
      "We can't just wait: the customers were complaining about delayed deliveries again, and they'd rather " +
      'have their refunds processed quickly than be told nothing. Running, runs and ran; generously; happiness; ' +
      'organisations organizing; should I call them about those invoices now or after our meeting with the finance teams?';
    const res = await fetch(`${node.url}/${index}/_analyze`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ analyzer: 'english_text', text }),
    });
    const analyzed = (await res.json()) as { tokens: { token: string }[] };
    const db = openPostgres(inject('databaseUrl'), 1, createLogger('silent'));
    try {
      const rows = await db.query<{ lexemes: string[] }>(`SELECT tsvector_to_array(to_tsvector('english', $1)) AS lexemes`, [text]);
      expect([...new Set(analyzed.tokens.map((t) => t.token))].sort()).toEqual([...rows[0].lexemes].sort());
    } finally {
      await db.close();
    }
  });

  it('searches its segments in two slices at once', async () => {
    const res = (await (await fetch(`${node.url}/${index}/_settings`)).json()) as Record<
      string,
      { settings: { index: { search?: { concurrent_segment_search?: { mode?: string }; concurrent?: { max_slice_count?: string } } } } }
    >;
    const search = res[index].settings.index.search;
    expect(search?.concurrent_segment_search?.mode).toBe('all');
    expect(search?.concurrent?.max_slice_count).toBe('2');
  });
});

describe('the launcher', () => {
  it('refuses a collector it does not know before starting anything', async () => {
    await expect(startOpenSearch({ port: await freePort(), gc: 'ZGC' as never })).rejects.toThrow(
      'OPENSEARCH_GC must be one of SerialGC, G1GC, ParallelGC (got ZGC)',
    );
  });
});

describe('search on OpenSearch: faults', { timeout: 300_000 }, () => {
  let server: TestServer;
  const alias = `aimychats-faults-${process.pid}-${Date.now().toString(36)}`;
  const prefix = uniquePrefix('search_os_faults');
  beforeAll(async () => {
    server = await startTestServer(
      bullEnv(REDIS_DB, prefix, {
        ...engineEnv(),
        ELASTICSEARCH_INDEX: alias,
        JOB_RECOVERY_INTERVAL_MS: '500',
        ELASTICSEARCH_TIMEOUT_MS: '3000',
      }),
    );
  });
  afterAll(async () => {
    await server?.stop();
    await dropPrefix(REDIS_DB, prefix);
  });

  it('node stopped mid-load: search answers 503 with Retry-After, writes succeed, and the documents catch up when it is back', async () => {
    const { account, client } = await newAccount(server);
    const before = (await client.post('/v1/conversations', { title: 'Capybara one', content: 'capybara census' })).body.id as string;
    await eventually(
      () => client.post('/v1/conversations/search', { query: 'capybara' }),
      (r) => r.body?.meta?.total === 1,
      WAIT,
    );

    await node.stop();
    const down = await client.post('/v1/conversations/search', { query: 'capybara' });
    expect(down.status, down.text).toBe(503);
    expect(down.body.error.code).toBe('service_unavailable');
    expect(Number(down.headers.get('retry-after'))).toBeGreaterThan(0);
    const list = await client.get('/v1/conversations?search=capybara');
    expect(list.status).toBe(503);
    // Writes while the node is down: created, updated, deleted, all accepted.
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await client.post('/v1/conversations', {
        title: `Capybara ${i + 2}`,
        content: `capybara census while the index was away ${i}`,
      });
      expect(r.status, r.text).toBe(201);
      made.push(r.body.id);
    }
    expect((await client.patch(`/v1/conversations/${made[0]}`, { title: 'Capybara renamed offline' })).status).toBe(200);
    expect((await client.delete(`/v1/conversations/${before}`)).status).toBe(200);
    const lag = await server.running.app.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM conversations WHERE account_id = $1 AND search_indexed_version < search_version',
      [account.id],
    );
    expect(lag[0].n).toBeGreaterThan(0);

    // Back on the same data: the lagging documents catch up with no reindex by hand.
    node = await startOpenSearch({ port, dataDir });
    const back = await eventually(
      () => client.post('/v1/conversations/search', { query: 'capybara', per_page: 50 }),
      // The set, not only the count: catching up, the deleted one can still be found while a new one is not yet.
      (r) => r.status === 200 && sameIds(r.body.data, made),
      WAIT * 2,
    );
    expect(back.body.meta.total).toBe(5);
    expect(back.body.data.map((h: { id: string }) => h.id).sort()).toEqual([...made].sort());
    await eventually(
      () => client.post('/v1/conversations/search', { query: '"renamed offline"' }),
      (r) => r.body?.meta?.total === 1,
      WAIT,
    );
    await eventually(
      () =>
        server.running.app.db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM conversations WHERE account_id = $1 AND search_indexed_version < search_version',
          [account.id],
        ),
      (rows) => rows[0].n === 0,
      WAIT,
    );
  }, 300_000);

  it('a lost delete (its job never ran) is repaired by `search reindex`', async () => {
    const { account, client } = await newAccount(server);
    const id = (await client.post('/v1/conversations', { title: 'Pangolin', content: 'pangolin scales' })).body.id as string;
    await eventually(
      () => client.post('/v1/conversations/search', { query: 'pangolin' }),
      (r) => r.body?.meta?.total === 1,
      WAIT,
    );
    // The row goes without its event or job (a delete whose job was lost): the document stays behind.
    await server.running.app.db.query('DELETE FROM conversations WHERE id = $1 AND account_id = $2', [id, account.id]);
    expect((await client.post('/v1/conversations/search', { query: 'pangolin' })).body.meta.total).toBe(1);
    // The documented repair (docs/search.md): reindex removes documents whose conversation is gone.
    const out = await cli(['search', 'reindex', '--account', account.id], {
      ...engineEnv(),
      ELASTICSEARCH_INDEX: alias,
      DATABASE_URL: server.running.app.config.databaseUrl!,
      REDIS_URL: undefined,
    });
    expect(out.code, out.stderr).toBe(0);
    expect((await client.post('/v1/conversations/search', { query: 'pangolin' })).body.meta.total).toBe(0);
  }, 120_000);
});
