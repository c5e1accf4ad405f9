// The storage quota on every write of stored bytes (issue 5): conversation text through REST, GraphQL
// and the inbound channels, attachments and export files share one per-account counter, checked
// atomically. Plan `tiny` allows 0.01 MB = 10,485 bytes; a conversation counts title + content +
// metadata as stored (`{}` is 2 bytes), so `conv(n)` below stores exactly n bytes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { start } from '../src/main.js';
import { linkPhoneNumber } from '../src/modules/inbound/whatsapp/link-number.js';
import { uploadFile } from './helpers/files.js';
import { cloudPayload, postEmail, postForm, rawEmail, signature, textPart, uniqueId } from './helpers/inbound.js';
import { dropPrefix, parkedJobsEnv } from './helpers/jobs.js';
import { newAccount, startTestServer, type Client, type TestServer } from './helpers/server.js';

const PLANS_JSON = JSON.stringify({ tiny: { storageLimitMb: 0.01, requestsPerDay: 100000, requestsPerMinute: 100000 } });
const SECRET = 'meta-app-secret-for-quota-tests';
const jobs = parkedJobsEnv();
let server: TestServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amc-quota-'));
  server = await startTestServer({ ...jobs, DATA_DIR: dataDir, PLANS_JSON, WHATSAPP_APP_SECRET: SECRET, WHATSAPP_VERIFY_TOKEN: 'verify' });
});
afterAll(async () => {
  await server?.stop();
  await dropPrefix(15, jobs.QUEUE_PREFIX);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const body = (bytes: number, title = 'T') => ({ title, content: 'x'.repeat(bytes - title.length - 2) });
const conv = (c: Client, bytes: number) => c.post('/v1/conversations', body(bytes));

async function storageEvents(s: TestServer, accountId: string) {
  const rows = await s.running.app.db.query<{ type: string; data: any }>(
    `SELECT type, data FROM events WHERE account_id = $1 AND type LIKE 'storage.%' ORDER BY created_at, id`,
    [accountId],
  );
  return rows;
}

/** The counter, and the same figures counted from the tables (what the counter replaces). */
async function counterAndRecount(s: TestServer, accountId: string) {
  const [counter] = await s.running.app.db.query<Record<string, string>>(
    `SELECT conversation_bytes::text AS conversations, attachment_bytes::text AS attachments, export_bytes::text AS exports FROM account_storage WHERE account_id = $1`,
    [accountId],
  );
  const [recount] = await s.running.app.db.query<Record<string, string>>(
    `SELECT (SELECT coalesce(sum(octet_length(title) + octet_length(content) + octet_length(metadata::text)), 0) FROM conversations WHERE account_id = $1)::text AS conversations,
            (SELECT coalesce(sum(size), 0) FROM attachments WHERE account_id = $1)::text AS attachments,
            (SELECT coalesce(sum(size_bytes), 0) FROM exports WHERE account_id = $1 AND storage_key IS NOT NULL)::text AS exports`,
    [accountId],
  );
  return { counter, recount };
}

describe('conversation writes over the quota', () => {
  it('REST POST: 403 storage_quota_exceeded with the documented envelope, nothing stored, storage.limit_exceeded', async () => {
    const { client, account } = await newAccount(server, 'tiny');
    expect((await conv(client, 6_000)).status).toBe(201);
    const refused = await conv(client, 5_000);
    expect(refused.status, refused.text).toBe(403);
    expect(refused.body).toEqual({
      error: {
        code: 'storage_quota_exceeded',
        message: expect.stringMatching(/^Storage quota exceeded/),
        details: { used_mb: 0.01, limit_mb: 0.01, requested_mb: 0 },
      },
    });
    expect((await client.get('/v1/conversations')).body.meta.total).toBe(1);
    expect((await client.get('/v1/account')).body.storage).toEqual({ used_mb: 0.01, limit_mb: 0.01 });
    // What still fits is stored (and crosses 80%).
    expect((await conv(client, 4_000)).status).toBe(201);
    const events = await storageEvents(server, account.id);
    expect(events.map((e) => e.type)).toEqual(['storage.limit_exceeded', 'storage.limit_reached']);
    expect(events.map((e) => e.data.resource)).toEqual(['conversation', 'conversation']);
    expect(events[1].data).toMatchObject({ used_mb: 0.01, limit_mb: 0.01 });
  });

  it('records storage.limit_reached once per crossing of 80%', async () => {
    const { client, account } = await newAccount(server, 'tiny');
    const types = async () => (await storageEvents(server, account.id)).map((e) => e.type);
    expect((await conv(client, 5_000)).status).toBe(201); // 48%
    expect(await types()).toEqual([]);
    const crossing = await conv(client, 3_500); // 81%
    expect(crossing.status).toBe(201);
    expect(await types()).toEqual(['storage.limit_reached']);
    expect((await conv(client, 500)).status).toBe(201); // 86%: still above, no new event
    expect(await types()).toEqual(['storage.limit_reached']);
    expect((await client.delete(`/v1/conversations/${crossing.body.id}`)).status).toBe(200); // back to 52%
    expect((await conv(client, 3_500)).status).toBe(201); // crosses again
    expect(await types()).toEqual(['storage.limit_reached', 'storage.limit_reached']);
  });

  it('REST PATCH: refused when it would grow over the limit (nothing changes), allowed when it does not grow', async () => {
    const { client, account } = await newAccount(server, 'tiny');
    const created = await conv(client, 10_000);
    const id = created.body.id;
    const before = (await client.get(`/v1/conversations/${id}`)).body;
    const grow = await client.patch(`/v1/conversations/${id}`, { content: `${before.content}${'y'.repeat(600)}` });
    expect(grow.status, grow.text).toBe(403);
    expect(grow.body.error.code).toBe('storage_quota_exceeded');
    const metadata = await client.patch(`/v1/conversations/${id}`, { metadata: { note: 'z'.repeat(600) } });
    expect(metadata.status).toBe(403);
    expect((await client.get(`/v1/conversations/${id}`)).body).toEqual(before);
    expect((await storageEvents(server, account.id)).map((e) => e.type)).toEqual([
      'storage.limit_reached',
      'storage.limit_exceeded',
      'storage.limit_exceeded',
    ]);
    // Same size, then smaller: accepted.
    expect((await client.patch(`/v1/conversations/${id}`, { title: 'U' })).status).toBe(200);
    expect((await client.patch(`/v1/conversations/${id}`, { content: 'short now' })).status).toBe(200);
    const { counter } = await counterAndRecount(server, account.id);
    expect(counter.conversations).toBe(String(1 + 'short now'.length + 2));
  });

  it('GraphQL createConversation and updateConversation: extensions.code storage_quota_exceeded, nothing stored', async () => {
    const { client } = await newAccount(server, 'tiny');
    const id = (await conv(client, 9_000)).body.id;
    const create = await client.request('POST', '/graphql', {
      query: 'mutation ($title: String!, $content: String!) { createConversation(title: $title, content: $content) { id } }',
      variables: body(2_000),
    });
    expect(create.body.errors[0].extensions.code).toBe('storage_quota_exceeded');
    expect(create.body.errors[0].message).toMatch(/^Storage quota exceeded/);
    const update = await client.request('POST', '/graphql', {
      query: 'mutation ($id: ID!, $content: String!) { updateConversation(id: $id, content: $content) { id } }',
      variables: { id, content: 'x'.repeat(11_000) },
    });
    expect(update.body.errors[0].extensions.code).toBe('storage_quota_exceeded');
    const list = await client.get('/v1/conversations');
    expect(list.body.meta.total).toBe(1);
    expect((await client.get(`/v1/conversations/${id}`)).body.content).toHaveLength(9_000 - 3);
  });
});

describe('one atomic check for every writer', () => {
  it('parallel conversation writes near the limit: exactly what fits is admitted', async () => {
    const { client, account } = await newAccount(server, 'tiny');
    const results = await Promise.all(Array.from({ length: 10 }, () => conv(client, 3_000)));
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 403, 403, 403, 403, 403, 403, 403]);
    const { counter, recount } = await counterAndRecount(server, account.id);
    expect(counter).toEqual(recount);
    expect(counter.conversations).toBe('9000');
  });

  it('parallel uploads and conversation writes share the limit', async () => {
    const { client, api_key, account } = await newAccount(server, 'tiny');
    const target = (await conv(client, 1_000)).body.id;
    const writes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2
          ? conv(client, 2_000)
          : uploadFile(server.url, api_key, target, { file: { bytes: new Uint8Array(2_000).fill(65 + i), name: `f${i}.txt` } }),
      ),
    );
    // 1,000 stored + 4 × 2,000 = 9,000; a fifth would make 11,000 > 10,485.
    expect(writes.filter((r) => r.status === 201)).toHaveLength(4);
    expect(writes.filter((r) => r.status !== 201).map((r) => r.body.error.code)).toEqual(Array(6).fill('storage_quota_exceeded'));
    const { counter, recount } = await counterAndRecount(server, account.id);
    expect(counter).toEqual(recount);
    expect(Number(counter.conversations) + Number(counter.attachments)).toBe(9_000);
  });

  it('GET /v1/account and /v1/account/usage read the counter; every deletion decreases it', async () => {
    const { client, api_key, account } = await newAccount(server);
    const MB = 1024 * 1024;
    const created = await client.post('/v1/conversations', {
      title: 'Notes',
      content: 'é'.repeat(100_000),
      metadata: { participants: ['a@example.com'] },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect((await client.patch(`/v1/conversations/${id}`, { content: 'é'.repeat(50_000) })).status).toBe(200);
    const att = await uploadFile(server.url, api_key, id, { file: { bytes: new Uint8Array(300_000).fill(1), name: 'a.bin' } });
    expect(att.status).toBe(201);
    let { counter, recount } = await counterAndRecount(server, account.id);
    expect(counter).toEqual(recount);
    const total = Number(counter.conversations) + Number(counter.attachments);
    expect((await client.get('/v1/account')).body.storage).toEqual({ used_mb: Math.round((total / MB) * 100) / 100, limit_mb: 200 });
    const usage = (await client.get('/v1/account/usage')).body.storage;
    expect(usage.by_type).toEqual({
      conversations: Math.round((Number(counter.conversations) / MB) * 100) / 100,
      attachments: Math.round((300_000 / MB) * 100) / 100,
      exports: 0,
    });
    expect((await client.delete(`/v1/attachments/${att.body.id}`)).status).toBe(200);
    ({ counter, recount } = await counterAndRecount(server, account.id));
    expect(counter).toEqual({ ...recount, attachments: '0' });
    expect((await client.delete(`/v1/conversations/${id}`)).status).toBe(200);
    ({ counter } = await counterAndRecount(server, account.id));
    expect(counter).toEqual({ conversations: '0', attachments: '0', exports: '0' });
    expect((await client.get('/v1/account')).body.storage.used_mb).toBe(0);
  });
});

describe('inbound channels over the quota', () => {
  it('email: 403 storage_quota_exceeded, nothing stored; the same message is accepted once there is room', async () => {
    const { client, api_key } = await newAccount(server, 'tiny');
    const filler = (await conv(client, 9_000)).body.id;
    const raw = rawEmail({ messageId: uniqueId('quota'), subject: 'Big news', mime: textPart('word '.repeat(600)) });
    const refused = await postEmail(server.url, raw, { key: api_key });
    expect(refused.status, refused.text).toBe(403);
    expect(refused.body.error.code).toBe('storage_quota_exceeded');
    expect((await client.get('/v1/conversations')).body.meta.total).toBe(1);
    expect((await client.delete(`/v1/conversations/${filler}`)).status).toBe(200);
    const accepted = await postEmail(server.url, raw, { key: api_key });
    expect(accepted.status, accepted.text).toBe(201);
    expect(accepted.headers.get('x-inbound-outcome')).toBe('created');
  });

  it('email reply appended over the quota: 403 and the thread is unchanged', async () => {
    const { client, api_key } = await newAccount(server, 'tiny');
    const first = uniqueId('thread');
    const created = await postEmail(server.url, rawEmail({ messageId: first, subject: 'Thread', mime: textPart('Short start.') }), {
      key: api_key,
    });
    expect(created.status).toBe(201);
    const thread = created.body.id;
    const before = (await client.get(`/v1/conversations/${thread}`)).body;
    expect((await conv(client, 9_000)).status).toBe(201);
    const reply = rawEmail({
      messageId: uniqueId('reply'),
      inReplyTo: first,
      subject: 'Re: Thread',
      mime: textPart('long reply '.repeat(200)),
    });
    const refused = await postEmail(server.url, reply, { key: api_key });
    expect(refused.status, refused.text).toBe(403);
    expect(refused.body.error.code).toBe('storage_quota_exceeded');
    expect((await client.get(`/v1/conversations/${thread}`)).body).toEqual(before);
  });

  it('WhatsApp chat import: 403 storage_quota_exceeded, nothing stored', async () => {
    const { client, api_key } = await newAccount(server, 'tiny');
    await conv(client, 9_000);
    const lines = Array.from(
      { length: 40 },
      (_, i) => `12/01/2024, 09:${String(i).padStart(2, '0')} - Anna: message number ${i} with some words`,
    ).join('\n');
    const res = await postForm(`${server.url}/v1/conversations/import/whatsapp`, api_key, {
      file: { bytes: lines, name: 'WhatsApp Chat with Anna.txt' },
    });
    expect(res.status, res.text).toBe(403);
    expect(res.body.error.code).toBe('storage_quota_exceeded');
    expect((await client.get('/v1/conversations')).body.meta.total).toBe(1);
  });

  it('WhatsApp webhook: the full account is refused (403, Meta redelivers), the other account of the delivery is stored', async () => {
    const full = await newAccount(server, 'tiny');
    const other = await newAccount(server);
    const [fullNumber, otherNumber] = [`9${Date.now()}1`, `9${Date.now()}2`];
    await linkPhoneNumber(server.running.app.db, full.account.id, fullNumber);
    await linkPhoneNumber(server.running.app.db, other.account.id, otherNumber);
    const filler = (await conv(full.client, 10_000)).body.id;
    const at = new Date();
    const a = cloudPayload(fullNumber, [
      { id: `wamid.full${Date.now()}`, from: '4915100000001', name: 'Ann', at, text: 'hello '.repeat(200) },
    ]);
    const b = cloudPayload(otherNumber, [{ id: `wamid.other${Date.now()}`, from: '4915100000002', name: 'Bob', at, text: 'hi there' }]);
    const payload = JSON.stringify({ ...a, entry: [...a.entry, ...b.entry] });
    const deliver = () =>
      fetch(`${server.url}/v1/inbound/whatsapp`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': signature(SECRET, payload) },
        body: payload,
      });
    const refused = await deliver();
    expect(refused.status).toBe(403);
    expect((await refused.json()).error.code).toBe('storage_quota_exceeded');
    expect((await full.client.get('/v1/conversations?source=whatsapp')).body.meta.total).toBe(0);
    expect((await other.client.get('/v1/conversations?source=whatsapp')).body.meta.total).toBe(1);
    // Meta delivers again once there is room: stored now, the other account's message is a duplicate.
    expect((await full.client.delete(`/v1/conversations/${filler}`)).status).toBe(200);
    const again = await deliver();
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ stored: 1, duplicates: 1 });
    expect((await full.client.get('/v1/conversations?source=whatsapp')).body.meta.total).toBe(1);
    expect((await other.client.get('/v1/conversations?source=whatsapp')).body.meta.total).toBe(1);
  });
});

describe('embedded database (PGlite)', () => {
  let embedded: TestServer;
  let embeddedDir: string;

  beforeAll(async () => {
    embeddedDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amc-quota-pglite-'));
    const config = loadConfig({
      DATA_DIR: embeddedDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      NODE_ENV: 'test',
      RATE_LIMITS_ENABLED: 'false',
      PLANS_JSON,
    });
    const running = await start(config);
    expect(running.app.db.kind).toBe('pglite');
    embedded = { running, url: running.url, stop: () => running.stop() };
  }, 180_000);
  afterAll(async () => {
    await embedded?.stop();
    fs.rmSync(embeddedDir, { recursive: true, force: true });
  });

  it('counts, refuses over the limit, admits exactly what fits in parallel, and decreases on deletion', async () => {
    const { client, account } = await newAccount(embedded, 'tiny');
    const first = await conv(client, 4_000);
    expect(first.status).toBe(201);
    expect((await conv(client, 7_000)).status).toBe(403);
    const parallel = await Promise.all(Array.from({ length: 5 }, () => conv(client, 3_000)));
    expect(parallel.map((r) => r.status).sort()).toEqual([201, 201, 403, 403, 403]);
    let { counter, recount } = await counterAndRecount(embedded, account.id);
    expect(counter).toEqual(recount);
    expect(counter.conversations).toBe('10000');
    expect((await storageEvents(embedded, account.id)).map((e) => e.type).sort()).toEqual([
      'storage.limit_exceeded',
      'storage.limit_exceeded',
      'storage.limit_exceeded',
      'storage.limit_exceeded',
      'storage.limit_reached',
    ]);
    expect((await client.delete(`/v1/conversations/${first.body.id}`)).status).toBe(200);
    ({ counter } = await counterAndRecount(embedded, account.id));
    expect(counter.conversations).toBe('6000');
    expect((await client.get('/v1/account')).body.storage).toEqual({ used_mb: 0.01, limit_mb: 0.01 });
  });
});
