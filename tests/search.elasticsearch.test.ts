// The Elasticsearch engine against a real cluster, through HTTP. Runs only when ELASTICSEARCH_URL is
// set (e.g. ELASTICSEARCH_URL=http://localhost:9200 npm test); no cluster can run on the development
// machines, so otherwise it is reported as skipped, with the reason in its name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchServices } from '../src/modules/search/search-engine.js';
import { newAccount, startTestServer, type TestServer } from './helpers/server.js';

const url = process.env.ELASTICSEARCH_URL;

if (!url) {
  describe('search on Elasticsearch', () => {
    it.skip('SKIPPED: ELASTICSEARCH_URL is not set, so the Elasticsearch integration suite did not run', () => {});
  });
} else {
  describe('search on Elasticsearch', () => {
    let server: TestServer;
    const index = `aimychats-test-${Date.now()}-${process.pid}`;
    beforeAll(async () => {
      server = await startTestServer({ ELASTICSEARCH_URL: url, ELASTICSEARCH_INDEX: index, ...(process.env.ELASTICSEARCH_API_KEY ? { ELASTICSEARCH_API_KEY: process.env.ELASTICSEARCH_API_KEY } : {}) });
    });
    afterAll(async () => {
      const { createClient } = await import('../src/modules/search/elasticsearch/elasticsearch-engine.js');
      const client = createClient({ url: url!, apiKey: process.env.ELASTICSEARCH_API_KEY, index, timeoutMs: 10_000 });
      await client.indices.delete({ index: `${index}-*` }).catch(() => {});
      await client.close();
      await server?.stop();
    });

    /** Indexes what the jobs would index, then makes it visible to search. */
    async function sync(accountId: string, ids: string[]) {
      const search = await searchServices(server.running.app);
      for (const id of ids) await search.indexer.sync(accountId, id);
      const { createClient } = await import('../src/modules/search/elasticsearch/elasticsearch-engine.js');
      const client = createClient({ url: url!, apiKey: process.env.ELASTICSEARCH_API_KEY, index, timeoutMs: 10_000 });
      await client.indices.refresh({ index });
      await client.close();
    }

    it('honours the same contract: loose words, phrases, exclusions, snippets, isolation', async () => {
      const a = await newAccount(server);
      const b = await newAccount(server);
      const create = async (c: typeof a, title: string, content: string) => (await c.client.post('/v1/conversations', { title, content })).body.id as string;
      const pricing = await create(a, 'Pricing question', 'The customer asked about <script>pricing</script> and features.');
      const refund = await create(a, 'Refund', 'A refund for the pricing error was sent.');
      const foreign = await create(b, 'Pricing', 'pricing pricing');
      await sync(a.account.id, [pricing, refund]);
      await sync(b.account.id, [foreign]);

      const res = await a.client.post('/v1/conversations/search', { query: 'pricing features' });
      expect(res.status).toBe(200);
      expect(res.body.meta.total).toBe(2);
      expect(res.body.data[0].id).toBe(pricing);
      expect(res.body.data[0].snippet).toContain('&lt;script&gt;<mark>pricing</mark>&lt;/script&gt;');
      for (const h of res.body.data) expect(h.score).toBeGreaterThan(0);
      expect(res.body.data[1].score).toBeLessThanOrEqual(res.body.data[0].score);

      const excl = await a.client.post('/v1/conversations/search', { query: 'pricing -refund' });
      expect(excl.body.data.map((h: { id: string }) => h.id)).toEqual([pricing]);
      const phrase = await a.client.post('/v1/conversations/search', { query: '"pricing error"' });
      expect(phrase.body.data.map((h: { id: string }) => h.id)).toEqual([refund]);
      const typo = await a.client.post('/v1/conversations/search', { query: 'refnd' });
      expect(typo.body.data.map((h: { id: string }) => h.id)).toEqual([refund]);

      // Deleted conversations disappear once their delete is indexed.
      await a.client.delete(`/v1/conversations/${refund}`);
      await sync(a.account.id, [refund]);
      const after = await a.client.post('/v1/conversations/search', { query: 'refund' });
      expect(after.body.meta.total).toBe(0);
    });

    it('search reindex rebuilds one account', async () => {
      const a = await newAccount(server);
      await a.client.post('/v1/conversations', { title: 'Zebra', content: 'zebra crossing' });
      const search = await searchServices(server.running.app);
      expect(await search.indexer.reindex(a.account.id)).toEqual({ indexed: 1 });
      const res = await a.client.post('/v1/conversations/search', { query: 'zebra' });
      expect(res.body.meta.total).toBe(1);
    });
  });
}
