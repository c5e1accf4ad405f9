// The search contract (product §6, docs/spec/api-reference.md) run against a distributed engine through
// the public doors: REST, GraphQL and the CLI, with indexing done by the `search.sync` jobs the way
// production does it. Shared by tests/search.opensearch.test.ts (a real OpenSearch node, always) and
// tests/search.elasticsearch.test.ts (a real Elasticsearch, where ELASTICSEARCH_URL is set).
//
// Fixtures that need a fixed summary (sentiment, topics) are written with SQL and then indexed by
// `search reindex --account`, the documented way to (re)build one account's documents.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSearchEngine } from '../../src/modules/search/postgres-engine.js';
import { searchServices } from '../../src/modules/search/search-engine.js';
import { searchInput, toSearchRequest } from '../../src/modules/search/search-input.js';
import { searchSyncJob } from '../../src/modules/search/search.jobs.js';
import { cli } from './cli.js';
import { type Seed, seedConversations } from './seed-conversations.js';
import { bullEnv, dropPrefix, eventually, uniquePrefix } from './jobs.js';
import { newAccount, startTestServer, type Client, type TestServer } from './server.js';

export const WAIT = 60_000;

export interface EngineUnderTest {
  /** Server variables that select the engine (SEARCH_ENGINE, SEARCH_URL, ELASTICSEARCH_INDEX, …). */
  env: Record<string, string>;
  /** The physical indices behind the alias, for the reindex test. */
  aliasIndices(alias: string): Promise<string[]>;
  /** Drops every index this run made. */
  cleanup(alias: string): Promise<void>;
}

type Hit = { id: string; title: string; snippet: string; score: number; created_at: string };
type SearchBody = { data: Hit[]; meta: Record<string, number> };

const ids = (r: { data: { id: string }[] }) => r.data.map((h) => h.id);

export function describeSearchEngine(name: string, redisDb: number, setup: () => Promise<EngineUnderTest>) {
  // Generous per-test time: a shared two-core machine runs the JVM next to the rest of the suite.
  describe(`search on ${name}, through the public API`, { timeout: 180_000 }, () => {
    let engine: EngineUnderTest;
    let server: TestServer;
    const alias = `aimychats-test-${process.pid}-${Date.now().toString(36)}`;
    const prefix = uniquePrefix(`search_${name.toLowerCase()}`);
    let env: Record<string, string>;

    beforeAll(async () => {
      engine = await setup();
      env = { ...engine.env, ELASTICSEARCH_INDEX: alias };
      server = await startTestServer(bullEnv(redisDb, prefix, { ...env, JOB_RECOVERY_INTERVAL_MS: '1000' }));
    });
    afterAll(async () => {
      await server?.stop();
      await engine?.cleanup(alias);
      await dropPrefix(redisDb, prefix);
    });

    async function search(c: Client, body: Record<string, unknown>): Promise<SearchBody> {
      const res = await c.post('/v1/conversations/search', body);
      expect(res.status, res.text).toBe(200);
      return res.body as SearchBody;
    }

    /** Polls a search until `done` holds: documents appear after their job ran and the index refreshed. */
    function searchUntil(c: Client, body: Record<string, unknown>, done: (r: SearchBody) => boolean) {
      return eventually(() => search(c, body), done, WAIT);
    }

    const seed = (accountId: string, rows: Seed[]) => seedConversations(server.running.app.db, accountId, rows);

    /** Seeds rows, then builds the account's documents with the CLI's code path (`search reindex --account`). */
    async function seedIndexed(accountId: string, rows: Seed[]): Promise<string[]> {
      const out = await seed(accountId, rows);
      const services = await searchServices(server.running.app);
      expect(await services.indexer.reindex(accountId)).toMatchObject({ indexed: expect.any(Number) });
      return out;
    }

    it('indexes through search.sync jobs: create, status change, update and delete', async () => {
      const { client } = await newAccount(server);
      const created = await client.post('/v1/conversations', {
        title: 'Walrus expedition',
        content: 'Tom: Are the walrus permits ready?\nAnna: Tomorrow.',
      });
      expect(created.status, created.text).toBe(201);
      const id = created.body.id as string;

      // Created: found by its words.
      const first = await searchUntil(client, { query: 'walrus permits' }, (r) => r.meta.total === 1);
      expect(ids(first)).toEqual([id]);
      // Its status changes when the summary completes: the document follows.
      await eventually(
        () => client.get(`/v1/conversations/${id}`),
        (r) => r.body?.status === 'completed',
        WAIT,
      );
      await searchUntil(client, { query: 'walrus', filters: { status: 'completed' } }, (r) => r.meta.total === 1);
      expect((await search(client, { query: 'walrus', filters: { status: 'processing' } })).meta.total).toBe(0);

      // Updated: the new words find it, the old ones no longer do.
      expect((await client.patch(`/v1/conversations/${id}`, { title: 'Narwhal expedition' })).status).toBe(200);
      await searchUntil(client, { query: 'narwhal' }, (r) => r.meta.total === 1);
      await searchUntil(client, { query: '"walrus expedition"' }, (r) => r.meta.total === 0);

      // Deleted: gone, from the results and the count.
      expect((await client.delete(`/v1/conversations/${id}`)).status).toBe(200);
      await searchUntil(client, { query: 'narwhal' }, (r) => r.meta.total === 0 && r.data.length === 0);

      const rows = await server.running.app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM conversations WHERE id = $1', [id]);
      expect(rows[0].n).toBe(0);
    }, 180_000);

    it('a stale sync never overwrites a newer version', async () => {
      const { account, client } = await newAccount(server);
      const id = (await client.post('/v1/conversations', { title: 'Okapi', content: 'Tom: okapi sighting.' })).body.id as string;
      await eventually(
        () => client.get(`/v1/conversations/${id}`),
        (r) => r.body?.status !== 'processing',
        WAIT,
      );
      expect((await client.patch(`/v1/conversations/${id}`, { title: 'Quokka' })).status).toBe(200);
      await searchUntil(client, { query: 'quokka' }, (r) => r.meta.total === 1);
      const [row] = await server.running.app.db.query<{ search_version: number }>(
        'SELECT search_version FROM conversations WHERE id = $1',
        [id],
      );

      // Late jobs of older versions, as a retry after a long delay would run them.
      const handler = await searchSyncJob.handler();
      const ctx = { app: server.running.app, log: server.running.app.log, jobId: 'stale', attempt: 1, maxAttempts: 1 };
      await handler.run({ accountId: account.id, conversationId: id, version: 1, deleted: true }, ctx);
      // An older document written straight to the index loses to the one it holds.
      const services = await searchServices(server.running.app);
      const backend = (services as unknown as { backend: import('../../src/modules/search/elasticsearch/backend.js').SearchBackend })
        .backend;
      await expect(
        backend.index(
          { index: alias, id, routing: account.id, version: row.search_version - 1, versionType: 'external' },
          { id, account_id: account.id, title: 'Okapi', content: 'okapi' },
        ),
      ).rejects.toMatchObject({ status: 409 });
      await backend.refresh(alias);
      const after = await search(client, { query: 'quokka' });
      expect(ids(after)).toEqual([id]);
      expect((await search(client, { query: 'okapi', filters: { status: 'completed' } })).data.map((h) => h.title)).toEqual(['Quokka']);
    });

    it('honours the query language, ranking and <mark> snippets escaped as PostgreSQL does', async () => {
      const { account, client } = await newAccount(server);
      const [pricing, refund] = await seedIndexed(account.id, [
        {
          title: 'Pricing question',
          content: 'The customer asked about <script>pricing</script> & features.',
          createdAt: '2024-01-02T00:00:00Z',
        },
        { title: 'Refund', content: 'A refund for the pricing error was sent.', createdAt: '2024-01-03T00:00:00Z' },
        { title: 'Shipping', content: 'Parcel lost in transit.', createdAt: '2024-01-04T00:00:00Z' },
      ]);
      const res = await search(client, { query: 'pricing features' });
      expect(res.meta.total).toBe(2);
      expect(ids(res)).toEqual([pricing, refund]);
      expect(res.data[0].snippet).toBe(
        'The customer asked about &lt;script&gt;<mark>pricing</mark>&lt;/script&gt; &amp; <mark>features</mark>.',
      );
      // The same snippets as the PostgreSQL engine gives for the same rows.
      const pg = await new PostgresSearchEngine(server.running.app.db).search(
        account.id,
        toSearchRequest(searchInput.parse({ query: 'pricing features' })),
      );
      expect(res.data.map((h) => h.snippet)).toEqual(pg.hits.map((h) => h.snippet));
      for (const h of res.data) expect(h.score).toBeGreaterThan(0);
      expect(res.data[1].score).toBeLessThanOrEqual(res.data[0].score);
      expect(ids(await search(client, { query: 'pricing -refund' }))).toEqual([pricing]);
      expect(ids(await search(client, { query: '"pricing error"' }))).toEqual([refund]);
      expect(ids(await search(client, { query: 'refund OR parcel', sort: 'created_at' })).length).toBe(2);
      // Stems: "refunds" finds "refund".
      expect(ids(await search(client, { query: 'refunds' }))).toEqual([refund]);
      // Typo tolerance: nothing matches exactly, the near word does.
      expect(ids(await search(client, { query: 'refnd' }))).toEqual([refund]);
      expect(ids(await search(client, { query: 'transitt' })).length).toBe(1);
      // Nothing positive: an empty answer.
      expect(await search(client, { query: '-pricing' })).toMatchObject({ data: [], meta: { total: 0 } });
    });

    it('applies every filter of the REST contract', async () => {
      const { account, client } = await newAccount(server);
      const [jan31late, feb1, mar, emailFailed] = await seedIndexed(account.id, [
        {
          title: 'Invoice question',
          content: 'Invoice number 1 is wrong.',
          createdAt: '2024-01-31T23:59:59.500Z',
          summary: { content: 'Invoice is wrong.', sentiment: 'negative', topics: ['billing', 'invoices'] },
        },
        {
          title: 'Invoice thanks',
          content: 'Thanks for the invoice.',
          createdAt: '2024-02-01T00:00:00.000Z',
          source: 'whatsapp',
          summary: { content: 'Thanked for the invoice.', sentiment: 'positive', topics: ['billing'] },
        },
        {
          title: 'Invoice sent',
          content: 'Invoice sent in March.',
          createdAt: '2024-03-10T12:00:00Z',
          status: 'processing',
          summary: { content: 'Invoice was sent.', sentiment: 'neutral', topics: ['shipping'] },
        },
        {
          title: 'Invoice failed',
          content: 'No invoice summary yet.',
          createdAt: '2024-03-11T12:00:00Z',
          source: 'email',
          status: 'failed',
        },
      ]);
      const find = async (filters: Record<string, unknown>) => ids(await search(client, { query: 'invoice', filters, sort: 'created_at' }));
      expect(await find({})).toEqual([jan31late, feb1, mar, emailFailed]);
      expect(await find({ date_to: '2024-01-31' })).toEqual([jan31late]);
      expect(await find({ date_from: '2024-02-01', date_to: '2024-02-01' })).toEqual([feb1]);
      expect(await find({ date_from: '2024-02-01' })).toEqual([feb1, mar, emailFailed]);
      expect(await find({ date_to: '2024-01-31T23:59:59Z' })).toEqual([]);
      expect(await find({ date_to: '2024-01-31T23:59:59.500Z' })).toEqual([jan31late]);
      expect(await find({ topics: ['invoices', 'shipping'] })).toEqual([jan31late, mar]);
      expect(await find({ topics: ['BILLING'] })).toEqual([jan31late, feb1]);
      expect(await find({ sentiment: 'positive' })).toEqual([feb1]);
      expect(await find({ source: 'email' })).toEqual([emailFailed]);
      expect(await find({ status: 'processing' })).toEqual([mar]);
      expect(await find({ topics: ['billing'], sentiment: 'negative', source: 'api', status: 'completed' })).toEqual([jan31late]);
      // A summary's words are searchable too.
      expect(ids(await search(client, { query: 'thanked' }))).toEqual([feb1]);
    });

    it('sorts both ways, pages with an exact meta.total, and the list links reach every match', async () => {
      const { account, client } = await newAccount(server);
      const N = 23;
      const made = await seedIndexed(
        account.id,
        Array.from({ length: N }, (_, i) => ({
          title: `Harpsichord ${i}`,
          content: `harpsichord tuning number ${i}`,
          createdAt: new Date(Date.UTC(2024, 0, 1 + i)).toISOString(),
        })),
      );
      const asc = await search(client, { query: 'harpsichord', sort: 'created_at', per_page: 10 });
      expect(asc.meta).toMatchObject({ total: N, page: 1, per_page: 10 });
      expect(ids(asc)).toEqual(made.slice(0, 10));
      const desc = await search(client, { query: 'harpsichord', sort: '-created_at', per_page: 10, page: 3 });
      expect(ids(desc)).toEqual([...made].reverse().slice(20));
      expect(desc.meta.total).toBe(N);
      const past = await search(client, { query: 'harpsichord', per_page: 10, page: 4 });
      expect(past).toMatchObject({ data: [], meta: { total: N } });
      // Relevance pages never raise the score.
      let last = Infinity;
      for (let page = 1; page <= 3; page++) {
        for (const h of (await search(client, { query: 'harpsichord tuning', per_page: 10, page })).data) {
          expect(h.score).toBeLessThanOrEqual(last);
          last = h.score;
        }
      }
      // The list endpoint's search: its own order, exact totals, links.next through every page.
      const seen: string[] = [];
      let next: string | null = '/v1/conversations?search=harpsichord&per_page=10&sort=created_at';
      while (next) {
        const res: { status: number; text: string; body: any } = await client.get(next.replace(/^https?:\/\/[^/]+/, ''));
        expect(res.status, res.text).toBe(200);
        expect(res.body.meta.total).toBe(N);
        seen.push(...res.body.data.map((c: { id: string }) => c.id));
        next = res.body.links.next;
      }
      expect(seen).toEqual(made);
      const updated = await client.get('/v1/conversations?search=harpsichord&per_page=5&sort=-updated_at');
      expect(updated.body.meta.total).toBe(N);
      expect(updated.body.data).toHaveLength(5);
    });

    it("never returns or counts another account's documents, whatever the query", async () => {
      const a = await newAccount(server);
      const b = await newAccount(server);
      const [mine] = await seedIndexed(a.account.id, [
        { title: 'Tenant marmot', content: 'marmot colony report', summary: { sentiment: 'positive', topics: ['marmots'] } },
      ]);
      await seedIndexed(b.account.id, [
        { title: 'Tenant marmot', content: 'marmot marmot marmot colony report', summary: { sentiment: 'positive', topics: ['marmots'] } },
        { title: 'Other marmot', content: 'marmot', summary: { sentiment: 'negative', topics: ['marmots'] } },
      ]);
      for (const body of [
        { query: 'marmot' },
        { query: 'marmt' },
        { query: '"marmot colony"' },
        { query: 'marmot OR colony -nothing' },
        { query: 'marmot', filters: { topics: ['marmots'] } },
        { query: 'marmot', per_page: 100, page: 1 },
        { query: 'marmot', page: 2, per_page: 1 },
      ]) {
        const r = await search(a.client, body);
        expect(r.meta.total, JSON.stringify(body)).toBe(1);
        if (r.data.length) expect(ids(r)).toEqual([mine]);
      }
      const list = await a.client.get('/v1/conversations?search=marmot');
      expect(list.body.meta.total).toBe(1);
    });

    it('GraphQL searchConversations answers from the same engine', async () => {
      const { client, account } = await newAccount(server);
      const [id] = await seedIndexed(account.id, [
        { title: 'Pricing', content: 'a <b>lutefisk</b> plan', createdAt: '2024-05-01T00:00:00Z' },
      ]);
      const body = await client.gql(
        (await import('graphql')).parse(`query($q: String!, $f: SearchFilters) {
          searchConversations(query: $q, filters: $f, perPage: 5) { data { id title snippet score createdAt } meta { total page perPage } }
        }`),
        { q: 'lutefisk', f: { dateFrom: '2024-05-01', dateTo: '2024-05-01' } },
      );
      expect(body.errors).toBeUndefined();
      const r = (body.data as any).searchConversations;
      expect(r.meta).toMatchObject({ total: 1, page: 1, perPage: 5 });
      expect(r.data[0]).toMatchObject({ id, title: 'Pricing', snippet: 'a &lt;b&gt;<mark>lutefisk</mark>&lt;/b&gt; plan' });
    });

    it('`npx aimychats search reindex` builds a new index and swaps the alias: search never answers empty meanwhile', async () => {
      const { account, client } = await newAccount(server);
      const N = 12;
      await seedIndexed(
        account.id,
        Array.from({ length: N }, (_, i) => ({ title: `Theremin ${i}`, content: `theremin lesson ${i}` })),
      );
      const before = await engine.aliasIndices(alias);
      expect(before).toHaveLength(1);

      let running = true;
      const totals: number[] = [];
      const prober = (async () => {
        while (running) totals.push((await search(client, { query: 'theremin', per_page: 1 })).meta.total);
      })();
      const dbUrl = server.running.app.config.databaseUrl!;
      const out = await cli(['search', 'reindex'], { ...env, DATABASE_URL: dbUrl, REDIS_URL: undefined, LOG_LEVEL: 'warn' });
      // A few more probes after the swap.
      for (let i = 0; i < 3; i++) totals.push((await search(client, { query: 'theremin', per_page: 1 })).meta.total);
      running = false;
      await prober;
      expect(out.code, out.stderr).toBe(0);
      expect(JSON.parse(out.stdout)).toMatchObject({ engine: env.SEARCH_ENGINE ?? 'elasticsearch', account: null });
      expect(totals.length).toBeGreaterThan(3);
      expect(new Set(totals)).toEqual(new Set([N]));
      const after = await engine.aliasIndices(alias);
      expect(after).toHaveLength(1);
      expect(after[0]).not.toBe(before[0]);
    }, 180_000);
  });
}
