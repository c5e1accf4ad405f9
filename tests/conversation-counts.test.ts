// `meta.total` of the conversation list comes from `conversation_counts`, a per-source, per-status counter
// kept by triggers (issue 14). These tests hold it to the rows themselves through every write path that
// changes a status or the set of rows: concurrent creates, summaries completing, a content edit (back to
// processing), deletes, and the filters in every combination.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './helpers/jobs.js';
import { newAccount, startTestServer, type Client, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

const SOURCES = [undefined, 'email', 'whatsapp', 'api'] as const;
const STATUSES = [undefined, 'processing', 'completed', 'failed'] as const;

/** Every filter combination's meta.total against the rows the unfiltered list shows, and the mismatches. */
async function totalsAgainstRows(c: Client) {
  const all = await c.get('/v1/conversations?per_page=100');
  expect(all.status).toBe(200);
  const rows: { source: string; status: string }[] = all.body.data;
  const mismatches: string[] = [];
  for (const source of SOURCES) {
    for (const status of STATUSES) {
      const q = new URLSearchParams({ per_page: '1', ...(source ? { source } : {}), ...(status ? { status } : {}) });
      const res = await c.get(`/v1/conversations?${q}`);
      const expected = rows.filter((r) => (!source || r.source === source) && (!status || r.status === status)).length;
      if (res.body.meta.total !== expected) mismatches.push(`${q}: total ${res.body.meta.total}, rows ${expected}`);
    }
  }
  return { rows, mismatches };
}

/**
 * Summary jobs run in this process and change statuses between the requests of one pass, so a pass is
 * repeated until it reads one state throughout; a counter that drifted never agrees and fails here.
 */
async function expectExactTotals(c: Client) {
  const { rows, mismatches } = await eventually(
    () => totalsAgainstRows(c),
    (r) => r.mismatches.length === 0,
    60_000,
  );
  expect(mismatches).toEqual([]);
  return rows;
}

describe('meta.total from the maintained counter', () => {
  it('stays exact per source and status through creates, summaries, edits and deletes', async () => {
    const { client, account } = await newAccount(server);
    const sources = ['email', 'whatsapp', 'api', 'email', 'api', 'api', 'whatsapp'];
    const created = await Promise.all(
      sources.map(async (source, i) => {
        const res = await client.post('/v1/conversations', {
          title: `t${i}`,
          content: `Anna: hello number ${i}\nTom: thanks, talk soon`,
          source,
        });
        expect(res.status, res.text).toBe(201);
        return res.body as { id: string };
      }),
    );
    await expectExactTotals(client);
    for (const c of created)
      await eventually(
        () => client.get(`/v1/conversations/${c.id}`),
        (r) => r.body.status !== 'processing',
        120_000,
      );
    expect((await expectExactTotals(client)).length).toBe(sources.length);

    // A content edit sends the conversation back to processing; a failed status is counted apart.
    expect((await client.patch(`/v1/conversations/${created[0].id}`, { content: 'Grace: new content here' })).status).toBe(200);
    await server.running.app.db.query(`UPDATE conversations SET status = 'failed' WHERE id = $1 AND account_id = $2`, [
      created[1].id,
      account.id,
    ]);
    await expectExactTotals(client);

    expect((await client.delete(`/v1/conversations/${created[2].id}`)).status).toBe(200);
    expect((await client.delete(`/v1/conversations/${created[3].id}`)).status).toBe(200);
    const left = await expectExactTotals(client);
    expect(left.length).toBe(sources.length - 2);
    const past = await client.get('/v1/conversations?page=9&per_page=2&source=api');
    expect(past.body.data).toEqual([]);
    expect(past.body.meta.total).toBe(left.filter((r) => r.source === 'api').length);

    // The counter agrees with a count of the rows themselves.
    const counted = await server.running.app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM conversations WHERE account_id = $1`, [
      account.id,
    ]);
    const kept = await server.running.app.db.query<{ n: number }>(
      `SELECT sum(n)::int AS n FROM conversation_counts WHERE account_id = $1`,
      [account.id],
    );
    expect(kept[0].n).toBe(counted[0].n);
  });

  it('keeps accounts apart and leaves nothing behind when an account is deleted', async () => {
    const a = await newAccount(server);
    const b = await newAccount(server);
    for (let i = 0; i < 3; i++)
      expect((await a.client.post('/v1/conversations', { title: `a${i}`, content: 'hello there' })).status).toBe(201);
    expect((await b.client.post('/v1/conversations', { title: 'b', content: 'hello there', source: 'email' })).status).toBe(201);
    expect((await a.client.get('/v1/conversations')).body.meta.total).toBe(3);
    expect((await b.client.get('/v1/conversations')).body.meta.total).toBe(1);
    expect((await b.client.get('/v1/conversations?source=api')).body.meta.total).toBe(0);
    await server.running.app.db.query(`DELETE FROM accounts WHERE id = $1`, [b.account.id]);
    const rows = await server.running.app.db.query(`SELECT * FROM conversation_counts WHERE account_id = $1`, [b.account.id]);
    expect(rows).toEqual([]);
    expect((await a.client.get('/v1/conversations')).body.meta.total).toBe(3);
  });
});
