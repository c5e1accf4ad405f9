// Search (docs/spec/product.md §6, issue 4) through HTTP against real PostgreSQL: POST /v1/conversations/search,
// the list endpoint's `search` parameter and GraphQL `searchConversations`, all one service.
//
// Fixtures that need a summary are written with SQL (conversation + completed summary), so the
// summary pipeline running beside this file can't change their words or sentiment mid-test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/lib/ids.js';
import { CANDIDATES, TOTAL_CAP } from '../src/modules/search/postgres-engine.js';
import { snippetPlainText } from '../src/modules/search/snippet.js';
import { type Seed, seedConversations } from './helpers/seed-conversations.js';
import { newAccount, startTestServer, type Client, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

/** Inserts conversations (and their current summaries) directly; returns their ids in order. */
const seed = (accountId: string, rows: Seed[]) => seedConversations(server.running.app.db, accountId, rows);

async function search(c: Client, body: Record<string, unknown>) {
  const res = await c.post('/v1/conversations/search', body);
  expect(res.status, res.text).toBe(200);
  return res.body as {
    data: { id: string; title: string; snippet: string; score: number; created_at: string }[];
    meta: Record<string, number>;
  };
}

const ids = (r: { data: { id: string }[] }) => r.data.map((h) => h.id);

describe('POST /v1/conversations/search', () => {
  it('answers in the documented shape', async () => {
    const { client, account } = await newAccount(server);
    const [a] = await seed(account.id, [
      {
        title: 'Customer inquiry about pricing',
        content: 'The customer asked about pricing and features of the professional plan.',
        createdAt: '2024-01-15T00:00:00Z',
        summary: { title: 'Pricing inquiry', content: 'Asked about pricing.', sentiment: 'positive', topics: ['pricing', 'features'] },
      },
    ]);
    const res = await client.post('/v1/conversations/search', {
      query: 'pricing features',
      filters: { date_from: '2024-01-01', date_to: '2024-01-31', topics: ['pricing'], sentiment: 'positive' },
      sort: 'relevance',
      page: 1,
      per_page: 20,
    });
    expect(res.status, res.text).toBe(200);
    expect(Object.keys(res.body)).toEqual(['data', 'meta']);
    expect(Object.keys(res.body.data[0])).toEqual(['id', 'title', 'snippet', 'score', 'created_at']);
    expect(Object.keys(res.body.meta)).toEqual(['total', 'took_ms', 'page', 'per_page']);
    expect(res.body.data[0]).toMatchObject({ id: a, title: 'Customer inquiry about pricing', created_at: '2024-01-15T00:00:00.000Z' });
    expect(res.body.data[0].snippet).toBe(
      'The customer asked about <mark>pricing</mark> and <mark>features</mark> of the professional plan.',
    );
    expect(res.body.meta).toMatchObject({ total: 1, page: 1, per_page: 20 });
    expect(res.body.meta.took_ms).toBeGreaterThanOrEqual(0);
  });

  it('is not shadowed by /conversations/:id, and only answers POST', async () => {
    const { client } = await newAccount(server);
    const get = await client.get('/v1/conversations/search');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const post = await client.post('/v1/conversations/search', { query: 'x' });
    expect(post.status).toBe(200);
  });

  it('finds a conversation as soon as it is created, by new words after an update, and not after deletion', async () => {
    const { client } = await newAccount(server);
    const created = await client.post('/v1/conversations', { title: 'Kickoff', content: 'We discussed the zanzibar rollout.' });
    expect(created.status).toBe(201);
    expect(ids(await search(client, { query: 'zanzibar' }))).toEqual([created.body.id]);

    await client.patch(`/v1/conversations/${created.body.id}`, { title: 'Quokka planning', content: 'Now about the kilimanjaro launch.' });
    expect(ids(await search(client, { query: 'quokka' }))).toEqual([created.body.id]);
    expect(ids(await search(client, { query: 'kilimanjaro' }))).toEqual([created.body.id]);
    expect((await search(client, { query: 'zanzibar' })).meta.total).toBe(0);

    await client.delete(`/v1/conversations/${created.body.id}`);
    expect((await search(client, { query: 'kilimanjaro' })).meta.total).toBe(0);
  });

  it("finds a summary's words once the summary becomes current", async () => {
    const { client, account } = await newAccount(server);
    const [id] = await seed(account.id, [{ title: 'Call', content: 'Talked for a while.' }]);
    expect((await search(client, { query: 'escalation' })).meta.total).toBe(0);
    const sid = newId('summary');
    const db = server.running.app.db;
    await db.query(
      `INSERT INTO summaries (id, account_id, conversation_id, content_version, status, title, content, sentiment, topics, completed_at)
       VALUES ($1, $2, $3, 1, 'completed', 'Escalation', 'The customer asked for an escalation.', 'negative', '{support}', now())`,
      [sid, account.id, id],
    );
    await db.query(`UPDATE conversations SET summary_id = $1 WHERE id = $2`, [sid, id]);
    const res = await search(client, { query: 'escalation' });
    expect(ids(res)).toEqual([id]);
    // Only the summary matched: the snippet comes from it.
    expect(res.data[0].snippet).toContain('<mark>escalation</mark>');
  });
});

describe('query language', () => {
  let client: Client;
  let c: Record<string, string>;
  beforeAll(async () => {
    const acc = await newAccount(server);
    client = acc.client;
    const [pricingPlan, planPricing, refund, pricingRefund, shipping] = await seed(acc.account.id, [
      { title: 'Quarterly call', content: 'We went through the pricing plan for next year.', createdAt: '2024-03-01T10:00:00Z' },
      { title: 'Notes', content: 'The plan is to revisit pricing later.', createdAt: '2024-03-02T10:00:00Z' },
      { title: 'Refund request', content: 'Customer wants a refund for the broken kettle.', createdAt: '2024-03-03T10:00:00Z' },
      {
        title: 'Pricing complaint',
        content: 'The customer wants a refund because the pricing changed.',
        createdAt: '2024-03-04T10:00:00Z',
      },
      { title: 'Shipping delay', content: 'The parcel is late; shipping takes two weeks.', createdAt: '2024-03-05T10:00:00Z' },
    ]);
    c = { pricingPlan, planPricing, refund, pricingRefund, shipping };
  });

  it('requires a quoted phrase, words in order', async () => {
    const res = await search(client, { query: '"pricing plan"' });
    expect(ids(res)).toEqual([c.pricingPlan]);
  });

  it('OR finds either side', async () => {
    const res = await search(client, { query: 'kettle OR parcel' });
    expect(ids(res).sort()).toEqual([c.refund, c.shipping].sort());
  });

  it('-word excludes', async () => {
    const res = await search(client, { query: 'pricing -refund' });
    expect(ids(res).sort()).toEqual([c.pricingPlan, c.planPricing].sort());
    const phrase = await search(client, { query: 'refund -"broken kettle"' });
    expect(ids(res).length).toBe(2);
    expect(ids(phrase)).toEqual([c.pricingRefund]);
  });

  it('does not require every loose word: more matched words rank higher', async () => {
    const res = await search(client, { query: 'pricing refund shipping' });
    // Every conversation mentioning any of the words is found…
    expect(ids(res).sort()).toEqual(Object.values(c).sort());
    // …and the one with two of them ranks first.
    expect(res.data[0].id).toBe(c.pricingRefund);
    expect(res.data[0].score).toBeGreaterThan(res.data[1].score);
  });

  it('stems words and weighs the title above the content', async () => {
    const res = await search(client, { query: 'priced' });
    expect(ids(res)[0]).toBe(c.pricingRefund); // "Pricing" in its title
    expect(res.meta.total).toBe(3);
  });

  it('answers a query of stop words or punctuation with an empty result', async () => {
    for (const query of ['the and of', '!!! ...', '-', 'OR', '""', '-pricing']) {
      const res = await search(client, { query });
      expect(res, query).toMatchObject({ data: [], meta: { total: 0 } });
    }
  });

  it('treats tsquery syntax in user text as plain words', async () => {
    const res = await search(client, { query: "pricing & !refund | ('x' <-> y):*" });
    expect(res.meta.total).toBeGreaterThan(0);
    expect(ids(res)).toContain(c.pricingRefund);
  });

  it('tolerates typos when nothing matches exactly (pg_trgm)', async () => {
    const res = await search(client, { query: 'shiping' });
    expect(ids(res)).toEqual([c.shipping]);
    expect(res.data[0].snippet).toContain('<mark>shipping</mark>');
    expect(res.data[0].score).toBeGreaterThan(0);
    expect(res.data[0].score).toBeLessThanOrEqual(1);
    const none = await search(client, { query: 'xylophone' });
    expect(none.meta.total).toBe(0);
  });

  it('sorts by created_at both ways and pages', async () => {
    const asc = await search(client, { query: 'pricing refund shipping plan', sort: 'created_at' });
    expect(ids(asc)).toEqual([c.pricingPlan, c.planPricing, c.refund, c.pricingRefund, c.shipping]);
    const desc = await search(client, { query: 'pricing refund shipping plan', sort: '-created_at', per_page: 2, page: 2 });
    expect(ids(desc)).toEqual([c.refund, c.planPricing]);
    expect(desc.meta).toMatchObject({ total: 5, page: 2, per_page: 2 });
    const past = await search(client, { query: 'pricing', page: 9, per_page: 2 });
    expect(past).toMatchObject({ data: [], meta: { total: 3, page: 9 } });
  });

  it('scores lie in 0–1 and never increase down the pages of a relevance sort', async () => {
    const all: number[] = [];
    for (let page = 1; page <= 3; page++) {
      const res = await search(client, { query: 'pricing refund shipping plan customer', per_page: 2, page });
      all.push(...res.data.map((h) => h.score));
    }
    expect(all.length).toBe(5);
    for (const s of all) {
      expect(s).toBeGreaterThan(0);
      expect(s).toBeLessThanOrEqual(1);
    }
    for (let i = 1; i < all.length; i++) expect(all[i]).toBeLessThanOrEqual(all[i - 1]);
  });
});

describe('many matches (PostgreSQL engine: bounded ranking and count)', () => {
  const N = TOTAL_CAP + 60; // more matches than the count reads and than are ranked
  let client: Client;
  beforeAll(async () => {
    const acc = await newAccount(server);
    client = acc.client;
    // Set-based, one minute apart (i = 1 newest). Every 7th has the word in its title: those rank first
    // among the ranked (newest CANDIDATES) ones; older matches follow newest first.
    await server.running.app.db.query(
      `INSERT INTO conversations (id, account_id, title, content, source, status, created_at, updated_at)
       SELECT 'conv_bulk' || lpad(i::text, 21, '0'), $1, CASE WHEN i % 7 = 0 THEN 'Harpsichord tuning' ELSE 'Chat ' || i END,
              'we talked about the harpsichord again, item ' || i, 'api', 'completed', now() - make_interval(mins => i), now() - make_interval(mins => i)
         FROM generate_series(1, $2::int) i`,
      [acc.account.id, N],
    );
  });

  it('reads meta.total as the cap + 1 when more match, ranks the newest candidates, then older matches newest first', async () => {
    const first = await search(client, { query: 'harpsichord', per_page: 100 });
    expect(first.meta.total).toBe(TOTAL_CAP + 1);
    expect(first.data[0].title).toBe('Harpsichord tuning');
    const scores = first.data.map((h) => h.score);
    for (let i = 1; i < scores.length; i++) expect(scores[i]).toBeLessThanOrEqual(scores[i - 1]);
    // The page just past the ranked candidates: unranked matches, newest first, scored no higher.
    const perPage = 20;
    const page = CANDIDATES / perPage + 1;
    const tail = await search(client, { query: 'harpsichord', per_page: perPage, page });
    expect(tail.data).toHaveLength(perPage);
    const lastRanked = await search(client, { query: 'harpsichord', per_page: perPage, page: page - 1 });
    const floor = lastRanked.data.at(-1)!.score;
    for (const h of tail.data) expect(h.score).toBeLessThanOrEqual(floor);
    const dates = tail.data.map((h) => Date.parse(h.created_at));
    expect(dates).toEqual([...dates].sort((a, b) => b - a));
  });

  it('lets a client following links.next through the list reach every match, past the cap', async () => {
    const ids = new Set<string>();
    let next: string | null = `/v1/conversations?search=harpsichord&per_page=100`;
    while (next) {
      const res: { status: number; text: string; body: any } = await client.get(next.replace(/^https?:\/\/[^/]+/, ''));
      expect(res.status, res.text).toBe(200);
      for (const c of res.body.data) ids.add(c.id);
      next = res.body.links.next;
    }
    expect(ids.size).toBe(N);
  });

  it('serves pages beyond the cap and counts exactly past the last one', async () => {
    const last = await search(client, { query: 'harpsichord', per_page: 20, page: Math.ceil(N / 20) });
    expect(last.data).toHaveLength(N % 20 || 20);
    expect(last.meta.total).toBe(N);
    const past = await search(client, { query: 'harpsichord', per_page: 20, page: Math.ceil(N / 20) + 1 });
    expect(past).toMatchObject({ data: [], meta: { total: N } });
    const byDate = await search(client, { query: 'harpsichord', sort: '-created_at', per_page: 5 });
    expect(byDate.meta.total).toBe(TOTAL_CAP + 1);
    expect(byDate.data.map((h) => h.id)).toEqual([1, 2, 3, 4, 5].map((i) => `conv_bulk${String(i).padStart(21, '0')}`));
  });
});

describe('filters', () => {
  let client: Client;
  let c: Record<string, string>;
  beforeAll(async () => {
    const acc = await newAccount(server);
    client = acc.client;
    const [jan31late, feb1, mar, emailFailed] = await seed(acc.account.id, [
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
      { title: 'Invoice failed', content: 'No invoice summary yet.', createdAt: '2024-03-11T12:00:00Z', source: 'email', status: 'failed' },
    ]);
    c = { jan31late, feb1, mar, emailFailed };
  });
  const find = async (filters: Record<string, unknown>) => ids(await search(client, { query: 'invoice', filters, sort: 'created_at' }));

  it('date_to as a bare date covers that whole day; timestamps are exact', async () => {
    expect(await find({ date_to: '2024-01-31' })).toEqual([c.jan31late]);
    expect(await find({ date_from: '2024-02-01', date_to: '2024-02-01' })).toEqual([c.feb1]);
    expect(await find({ date_from: '2024-02-01' })).toEqual([c.feb1, c.mar, c.emailFailed]);
    expect(await find({ date_to: '2024-01-31T23:59:59Z' })).toEqual([]);
    expect(await find({ date_to: '2024-01-31T23:59:59.500Z' })).toEqual([c.jan31late]);
    expect(await find({ date_from: '2024-03-10T12:00:00+00:00', date_to: '2024-03-11T00:00:00Z' })).toEqual([c.mar]);
  });

  it('topics match any of the given, case-insensitively; sentiment; source; status', async () => {
    expect(await find({ topics: ['invoices', 'shipping'] })).toEqual([c.jan31late, c.mar]);
    expect(await find({ topics: ['BILLING'] })).toEqual([c.jan31late, c.feb1]);
    expect(await find({ sentiment: 'positive' })).toEqual([c.feb1]);
    expect(await find({ source: 'email' })).toEqual([c.emailFailed]);
    expect(await find({ status: 'processing' })).toEqual([c.mar]);
    expect(await find({ topics: ['billing'], sentiment: 'negative', source: 'api', status: 'completed' })).toEqual([c.jan31late]);
  });
});

describe('snippets', () => {
  it('escapes every character but the marks', async () => {
    const { client, account } = await newAccount(server);
    await seed(account.id, [{ title: 'XSS', content: 'Look: <script>alert("pricing")</script> & <b>bold</b> pricing\'s fine' }]);
    const res = await search(client, { query: 'pricing' });
    expect(res.data[0].snippet).toBe(
      'Look: &lt;script&gt;alert(&quot;<mark>pricing</mark>&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt; <mark>pricing</mark>&#39;s fine',
    );
    // The words inside tags are searchable too: conversations are text, not HTML.
    expect((await search(client, { query: 'script' })).meta.total).toBe(1);
  });

  it('cuts long content to ~240 characters around the best match', async () => {
    const { client, account } = await newAccount(server);
    const filler = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');
    const content = `${filler(150)} the refund was approved by <finance> & sent. ${filler(150)}`;
    await seed(account.id, [{ title: 'Long', content }]);
    const res = await search(client, { query: 'refund' });
    const snippet = res.data[0].snippet;
    expect(snippet).toContain('<mark>refund</mark> was approved by &lt;finance&gt; &amp; sent.');
    expect(snippet.startsWith('...')).toBe(true);
    expect(snippet.endsWith('...')).toBe(true);
    const plain = snippetPlainText(snippet);
    expect(plain.length).toBeLessThanOrEqual(240);
    expect(plain.length).toBeGreaterThan(100);
    // What is shown is the original text, unchanged.
    expect(content).toContain(plain.replace(/^\.\.\./, '').replace(/\.\.\.$/, ''));
  });

  it('returns short content whole', async () => {
    const { client, account } = await newAccount(server);
    await seed(account.id, [{ title: 'Short', content: '  Line one.\nThe refund, line two.  ' }]);
    const res = await search(client, { query: 'refund' });
    expect(res.data[0].snippet).toBe('  Line one.\nThe <mark>refund</mark>, line two.  ');
  });
});

describe('validation', () => {
  it('names every bad field in a 422', async () => {
    const { client } = await newAccount(server);
    const res = await client.post('/v1/conversations/search', {
      query: 'x'.repeat(501),
      filters: { date_from: '2024-13-01', date_to: 'yesterday', sentiment: 'angry', source: 'fax', topics: 'pricing' },
      sort: 'newest',
      page: 0,
      per_page: 101,
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_error');
    const fields = res.body.error.details.fields;
    expect(Object.keys(fields).sort()).toEqual(
      ['filters.date_from', 'filters.date_to', 'filters.sentiment', 'filters.source', 'page', 'per_page', 'query', 'sort'].sort(),
    );
    expect(fields['filters.source']).toEqual(['Source must be one of: email, whatsapp, api']);
    expect(fields.per_page).toEqual(['Per page must be between 1 and 100']);
  });

  it('rejects a missing or empty query, date_from after date_to, unknown keys', async () => {
    const { client } = await newAccount(server);
    const missing = await client.post('/v1/conversations/search', {});
    expect(missing.status).toBe(422);
    expect(missing.body.error.details.fields).toEqual({ query: ['Query is required'] });
    const empty = await client.post('/v1/conversations/search', { query: '   ' });
    expect(empty.body.error.details.fields).toEqual({ query: ['Query must not be empty'] });
    const order = await client.post('/v1/conversations/search', {
      query: 'a',
      filters: { date_from: '2024-02-02', date_to: '2024-02-01' },
    });
    expect(order.status).toBe(422);
    expect(order.body.error.details.fields).toEqual({ 'filters.date_from': ['Date from must not be after date to'] });
    const unknown = await client.post('/v1/conversations/search', { query: 'a', filters: { mood: 'happy' }, limit: 3 });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.details.fields).toEqual({ 'filters.mood': ['Unknown field'], limit: ['Unknown field'] });
    const deep = await client.post('/v1/conversations/search', { query: 'a', page: 101, per_page: 100 });
    expect(deep.status).toBe(422);
    expect(Object.keys(deep.body.error.details.fields)).toEqual(['page']);
  });
});

describe('tenant isolation', () => {
  it("never shows or counts another account's conversations", async () => {
    const a = await newAccount(server);
    const b = await newAccount(server);
    const [mine] = await seed(a.account.id, [{ title: 'Walrus migration', content: 'walrus walrus' }]);
    await seed(b.account.id, [
      { title: 'Walrus plan', content: 'walrus' },
      { title: 'Walrus again', content: 'walrus' },
    ]);
    const res = await search(a.client, { query: 'walrus' });
    expect(ids(res)).toEqual([mine]);
    expect(res.meta.total).toBe(1);
    // Typo correction only uses the account's own words.
    await seed(b.account.id, [{ title: 'Narwhal', content: 'narwhal' }]);
    expect((await search(a.client, { query: 'narwhall' })).meta.total).toBe(0);
    const list = await a.client.get('/v1/conversations?search=walrus');
    expect(list.body.meta.total).toBe(1);
  });
});

describe('the list search parameter and GraphQL use the same service', () => {
  it('list: search semantics, list order and shape', async () => {
    const { client, account } = await newAccount(server);
    const [older, newer, other] = await seed(account.id, [
      { title: 'Pricing', content: 'pricing plan', createdAt: '2024-05-01T00:00:00Z' },
      { title: 'Plans', content: 'plan only', createdAt: '2024-05-02T00:00:00Z', source: 'email' },
      { title: 'Else', content: 'nothing here', createdAt: '2024-05-03T00:00:00Z' },
    ]);
    const res = await client.get('/v1/conversations?search=pricing%20plan');
    expect(res.status).toBe(200);
    // Loose words: both match; the list keeps its own order (-created_at).
    expect(res.body.data.map((x: { id: string }) => x.id)).toEqual([newer, older]);
    expect(res.body.meta).toEqual({ page: 1, per_page: 20, total: 2, total_pages: 1 });
    expect(Object.keys(res.body.data[0])).toEqual(['id', 'title', 'source', 'status', 'created_at', 'updated_at', 'summary']);
    const phrase = await client.get(`/v1/conversations?search=${encodeURIComponent('"pricing plan"')}&sort=created_at`);
    expect(phrase.body.data.map((x: { id: string }) => x.id)).toEqual([older]);
    const filtered = await client.get('/v1/conversations?search=plan&source=email&per_page=1');
    expect(filtered.body.data.map((x: { id: string }) => x.id)).toEqual([newer]);
    const typo = await client.get('/v1/conversations?search=pricng');
    expect(typo.body.data.map((x: { id: string }) => x.id)).toEqual([older]);
    expect(other).toBeDefined();
  });

  it('GraphQL searchConversations', async () => {
    const { client, account } = await newAccount(server);
    const [id] = await seed(account.id, [{ title: 'Pricing', content: 'a <b>pricing</b> plan', createdAt: '2024-05-01T00:00:00Z' }]);
    const body = await client.gql(
      // A plain parsed document: this query is not one of the SDK's operations.
      (await import('graphql')).parse(`query($q: String!, $f: SearchFilters) {
        searchConversations(query: $q, filters: $f, perPage: 5) { data { id title snippet score createdAt } meta { total tookMs page perPage } }
      }`),
      { q: 'pricing', f: { dateFrom: '2024-05-01', dateTo: '2024-05-01' } },
    );
    expect(body.errors).toBeUndefined();
    const r = (body.data as any).searchConversations;
    expect(r.meta).toMatchObject({ total: 1, page: 1, perPage: 5 });
    expect(r.data[0]).toMatchObject({
      id,
      title: 'Pricing',
      snippet: 'a &lt;b&gt;<mark>pricing</mark>&lt;/b&gt; plan',
      createdAt: '2024-05-01T00:00:00.000Z',
    });
    const bad = await client.gql((await import('graphql')).parse(`{ searchConversations(query: "", perPage: 500) { meta { total } } }`));
    expect(bad.errors?.[0].extensions.code).toBe('validation_error');
    expect(Object.keys(bad.errors?.[0].extensions.details.fields).sort()).toEqual(['perPage', 'query']);
  });
});
