// Exports (docs/spec/product.md §8) through HTTP: every format, attachments in a zip, filters, bad input, tenant
// isolation, failure with a reason, signed downloads and expiry. Jobs run on BullMQ in this server.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupExpiredExports } from '../src/modules/exports/cleanup-exports.js';
import { PNG_1x1, uploadFile } from './helpers/files.js';
import { eventually, useBullServer } from './helpers/jobs.js';
import { newAccount, type Client } from './helpers/server.js';

const DB = 13;
let dataDir: string;
// Registered before the server's hooks, so it runs after the server has stopped (afterAll hooks run as a stack).
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));
const server = useBullServer(DB, 'exports', () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amc-exp-'));
  return {
    DATA_DIR: dataDir,
    EXPORT_BATCH_SIZE: '2', // several batches even for a handful of conversations
    PLANS_JSON: JSON.stringify({ tiny: { storageLimitMb: 0.01, requestsPerDay: 100000, requestsPerMinute: 100000 } }),
  };
});

async function seed(c: Client) {
  const make = async (body: Record<string, unknown>) => {
    const res = await c.post('/v1/conversations', body);
    expect(res.status, res.text).toBe(201);
    return res.body.id as string;
  };
  const a = await make({ title: 'Pricing call', content: 'Tom: can you send the pricing sheet?\nAnna: sure, tomorrow.', source: 'email' });
  const b = await make({
    title: '=HYPERLINK("http://evil.example","click")',
    content: '+1 call me, "quoted", and a comma\r\nsecond line',
    source: 'api',
  });
  const d = await make({
    title: 'Ünïcödé — 会议记录 🎉',
    content: 'Café crème, naïve façade. 你好，世界。 Emoji: 😀👍 Ελληνικά Кириллица',
    source: 'whatsapp',
  });
  return { a, b, d };
}

async function exportDone(c: Client, body: Record<string, unknown>) {
  const started = await c.post('/v1/exports', body);
  expect(started.status, started.text).toBe(202);
  const done = await eventually(
    () => c.get(`/v1/exports/${started.body.id}`),
    (r) => r.body?.status !== 'processing',
    30_000,
  );
  return { started, done };
}

async function download(url: string) {
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** RFC 4180 parser for the assertions (quoted fields, doubled quotes, CRLF records). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(cell), (cell = '');
    else if (ch === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += ch;
  }
  if (cell || row.length) row.push(cell), rows.push(row);
  return rows;
}

/** Entry names and contents of a zip (central directory; stored or deflated entries). */
function unzip(buf: Buffer): Map<string, Buffer> {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    const dataStart = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(dataStart, dataStart + size);
    out.set(name, method === 8 ? zlib.inflateRawSync(raw) : raw);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

describe('POST /v1/exports', () => {
  it('JSON: 202 processing, then completed with size, a signed link and a 7-day expiry; the file holds the REST shapes', async () => {
    const { client, account } = await newAccount(server);
    const { a, b, d } = await seed(client);
    const { started, done } = await exportDone(client, { format: 'json' });
    expect(Object.keys(started.body)).toEqual(['id', 'status', 'format', 'created_at']);
    expect(started.body).toMatchObject({ status: 'processing', format: 'json' });
    expect(started.body.id).toMatch(/^export_[0-9a-z]{26}$/);
    expect(done.body).toMatchObject({
      id: started.body.id,
      status: 'completed',
      format: 'json',
      conversation_count: 3,
      error: null,
      include_attachments: false,
    });
    expect(done.body.size_mb).toBeGreaterThan(0);
    const ttl = Date.parse(done.body.expires_at) - Date.parse(done.body.completed_at);
    expect(ttl).toBe(7 * 24 * 3600 * 1000);
    const file = await download(done.body.download_url);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toMatch(/application\/json/);
    const json = JSON.parse(file.bytes.toString('utf8'));
    expect(json.meta.total).toBe(3);
    expect(json.data.map((c: any) => c.id)).toEqual([a, b, d]);
    expect(Object.keys(json.data[0])).toEqual([
      'id',
      'title',
      'content',
      'source',
      'status',
      'metadata',
      'created_at',
      'updated_at',
      'summary',
      'attachments',
    ]);
    expect(json.data[2].title).toBe('Ünïcödé — 会议记录 🎉');

    const list = await client.get('/v1/exports');
    expect(list.status).toBe(200);
    expect(list.body.data.map((e: any) => e.id)).toEqual([started.body.id]);
    expect(list.body.meta).toMatchObject({ total: 1, page: 1 });
    const events = await server.running.app.db.query<{ type: string; data: any }>(
      `SELECT type, data FROM events WHERE account_id = $1 AND type LIKE 'export.%'`,
      [account.id],
    );
    expect(events).toEqual([
      { type: 'export.completed', data: expect.objectContaining({ id: started.body.id, status: 'completed', conversation_count: 3 }) },
    ]);
  });

  it('lists exports with the shared page rules: out-of-range page and per_page are a 422 naming both', async () => {
    const { client } = await newAccount(server);
    const res = await client.get('/v1/exports?page=0&per_page=101');
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields).toEqual({ page: ['Page must be at least 1'], per_page: ['Per page must be between 1 and 100'] });
    const ok = await client.get('/v1/exports?per_page=5');
    expect(ok.body.meta).toEqual({ page: 1, per_page: 5, total: 0, total_pages: 0 });
  });

  it('lists exports newest first with data/meta/links like every list (absolute links keeping per_page)', async () => {
    const { client } = await newAccount(server);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await exportDone(client, { format: 'json' })).started.body.id);
    const res = await client.get('/v1/exports?page=2&per_page=1');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['data', 'meta', 'links']);
    expect(res.body.data.map((e: any) => e.id)).toEqual([ids[1]]);
    expect(res.body.meta).toEqual({ page: 2, per_page: 1, total: 3, total_pages: 3 });
    expect(res.body.links).toEqual({
      first: `${server.url}/v1/exports?page=1&per_page=1`,
      last: `${server.url}/v1/exports?page=3&per_page=1`,
      prev: `${server.url}/v1/exports?page=1&per_page=1`,
      next: `${server.url}/v1/exports?page=3&per_page=1`,
    });
    const empty = await (await newAccount(server)).client.get('/v1/exports');
    expect(empty.body.links).toEqual({
      first: `${server.url}/v1/exports?page=1&per_page=20`,
      last: `${server.url}/v1/exports?page=1&per_page=20`,
      prev: null,
      next: null,
    });
    const gql = await client.request('POST', '/graphql', {
      query: '{ exports(page: 3, perPage: 1) { data { id } links { first last prev next } } }',
    });
    expect(gql.body.data.exports).toEqual({
      data: [{ id: ids[0] }],
      links: {
        first: `${server.url}/v1/exports?page=1&per_page=1`,
        last: `${server.url}/v1/exports?page=3&per_page=1`,
        prev: `${server.url}/v1/exports?page=2&per_page=1`,
        next: null,
      },
    });
  });

  it('refuses to start an export when the account has no storage left: 403 storage_quota_exceeded, nothing created', async () => {
    const { client, account } = await newAccount(server, 'tiny'); // 10,485 bytes
    // Exactly at the limit: title (1 byte) + metadata "{}" (2) + content.
    const full = await client.post('/v1/conversations', { title: 'T', content: 'x'.repeat(10_485 - 3) });
    expect(full.status, full.text).toBe(201);
    const res = await client.post('/v1/exports', { format: 'csv' });
    expect(res.status, res.text).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'storage_quota_exceeded', details: { limit_mb: 0.01 } });
    expect((await client.get('/v1/exports')).body.meta.total).toBe(0);
    const events = await server.running.app.db.query<{ type: string; data: any }>(
      `SELECT type, data FROM events WHERE account_id = $1 AND type = 'storage.limit_exceeded'`,
      [account.id],
    );
    expect(events.map((e) => e.data.resource)).toEqual(['export']);
  });

  it('CSV: RFC 4180, one row per conversation, formula cells neutralised', async () => {
    const { client } = await newAccount(server);
    await seed(client);
    const { done } = await exportDone(client, { format: 'csv' });
    expect(done.body.status).toBe('completed');
    const file = await download(done.body.download_url);
    const text = file.bytes.toString('utf8');
    expect(text).toContain('\r\n');
    const rows = parseCsv(text);
    expect(rows[0].slice(0, 3)).toEqual(['id', 'title', 'source']);
    expect(rows).toHaveLength(4);
    expect(rows.every((r) => r.length === rows[0].length)).toBe(true);
    const evil = rows.find((r) => r[1].includes('HYPERLINK'))!;
    expect(evil[1]).toBe('\'=HYPERLINK("http://evil.example","click")');
    const content = evil[rows[0].indexOf('content')];
    expect(content).toBe('\'+1 call me, "quoted", and a comma\r\nsecond line');
    for (const r of rows) for (const cell of r) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('Markdown: a section per conversation', async () => {
    const { client } = await newAccount(server);
    await seed(client);
    const { done } = await exportDone(client, { format: 'markdown' });
    const md = (await download(done.body.download_url)).bytes.toString('utf8');
    expect(md).toMatch(/^# Conversations export/);
    expect(md.match(/^## /gm)).toHaveLength(3);
    expect(md).toContain('## Pricing call');
    expect(md).toContain('Tom: can you send the pricing sheet?');
  });

  it('PDF: a real PDF, with non-Latin text', async () => {
    const { client } = await newAccount(server);
    await seed(client);
    const { done } = await exportDone(client, { format: 'pdf' });
    expect(done.body.status, done.body.error).toBe('completed');
    const file = await download(done.body.download_url);
    expect(file.headers.get('content-type')).toBe('application/pdf');
    expect(file.bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(file.bytes.subarray(-6).toString()).toMatch(/%%EOF/);
    // Title page + one page per conversation at least.
    expect((file.bytes.toString('latin1').match(/\/Type \/Page\b/g) ?? []).length).toBeGreaterThanOrEqual(4);
  });

  it('include_attachments: a zip with the export file and attachments/<conversation>/<file>', async () => {
    const { client, api_key } = await newAccount(server);
    const { a, d } = await seed(client);
    await uploadFile(server.url, api_key, a, { file: { bytes: PNG_1x1, name: 'pixel.png' } });
    await uploadFile(server.url, api_key, a, { file: { bytes: 'v1', name: 'notes.txt' } });
    await uploadFile(server.url, api_key, a, { file: { bytes: 'v2', name: 'notes.txt' } });
    await uploadFile(server.url, api_key, d, { file: { bytes: 'ünï', name: 'ünï.txt' } });
    const { done } = await exportDone(client, { format: 'csv', options: { include_attachments: true } });
    expect(done.body.status, done.body.error).toBe('completed');
    expect(done.body.download_url).toMatch(/\.zip\?/);
    const file = await download(done.body.download_url);
    expect(file.headers.get('content-type')).toBe('application/zip');
    const entries = unzip(file.bytes);
    const names = [...entries.keys()];
    expect(names[0]).toMatch(/^aimychats-export-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(names.slice(1).sort()).toEqual(
      [`attachments/${a}/notes (2).txt`, `attachments/${a}/notes.txt`, `attachments/${a}/pixel.png`, `attachments/${d}/ünï.txt`].sort(),
    );
    expect(entries.get(`attachments/${a}/pixel.png`)).toEqual(PNG_1x1);
    expect(entries.get(`attachments/${a}/notes (2).txt`)!.toString()).toBe('v2');
    expect(parseCsv(entries.get(names[0])!.toString('utf8'))).toHaveLength(4);
  });

  it('honours the search filters; no match still completes with an empty, valid file', async () => {
    const { client } = await newAccount(server);
    const { a } = await seed(client);
    const { done } = await exportDone(client, { format: 'json', filters: { source: 'email', date_from: '2000-01-01' } });
    const json = JSON.parse((await download(done.body.download_url)).bytes.toString('utf8'));
    expect(json.data.map((c: any) => c.id)).toEqual([a]);
    expect(json.export.filters).toEqual({ date_from: '2000-01-01', source: 'email' });
    expect(done.body.filters).toMatchObject({ source: 'email', date_from: '2000-01-01' });

    const none = await exportDone(client, { format: 'json', filters: { date_to: '2001-01-01' } });
    expect(none.done.body).toMatchObject({ status: 'completed', conversation_count: 0 });
    expect(JSON.parse((await download(none.done.body.download_url)).bytes.toString('utf8'))).toMatchObject({
      data: [],
      meta: { total: 0 },
    });
    for (const format of ['csv', 'pdf', 'markdown']) {
      const empty = await exportDone(client, { format, filters: { topics: ['no-such-topic'] } });
      expect(empty.done.body.status).toBe('completed');
      expect((await download(empty.done.body.download_url)).bytes.length).toBeGreaterThan(0);
    }
  });

  it('rejects bad input with 422 naming every field', async () => {
    const { client } = await newAccount(server);
    const bad = await client.post('/v1/exports', {
      format: 'docx',
      filters: { date_from: 'yesterday', colour: 'red', sentiment: 'angry' },
      options: { zip: true },
    });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.error.details.fields).sort()).toEqual(['filters.colour', 'options.zip']);
    const bad2 = await client.post('/v1/exports', { format: 'docx', filters: { date_from: 'yesterday', sentiment: 'angry' } });
    expect(bad2.status).toBe(422);
    expect(bad2.body.error.details.fields).toEqual({
      format: ['Format must be one of: pdf, json, csv, markdown'],
      'filters.date_from': ['Date from must be a date (YYYY-MM-DD) or an ISO 8601 timestamp'],
      'filters.sentiment': ['Sentiment must be one of: positive, neutral, negative'],
    });
    expect((await client.post('/v1/exports', {})).body.error.details.fields).toEqual({ format: ['Format is required'] });
    expect((await client.get('/v1/exports')).body.data).toEqual([]);
  });

  it('shows a failed export with its reason (over the storage quota)', async () => {
    const { client, account } = await newAccount(server, 'tiny'); // 10 KB
    await client.post('/v1/conversations', { title: 'Long', content: 'word '.repeat(1500) });
    const { done } = await exportDone(client, { format: 'pdf' });
    expect(done.body.status).toBe('failed');
    expect(done.body.error).toMatch(/Storage quota exceeded/);
    expect(done.body.download_url).toBeNull();
    expect(done.body.size_mb).toBeNull();
    const events = await server.running.app.db.query<{ type: string; data: any }>(
      `SELECT type, data FROM events WHERE account_id = $1 AND type LIKE 'export.%'`,
      [account.id],
    );
    expect(events).toEqual([{ type: 'export.failed', data: expect.objectContaining({ id: done.body.id, status: 'failed' }) }]);
  });
});

describe('export isolation and expiry', () => {
  it("another account's export is a 404 and is not listed", async () => {
    const owner = await newAccount(server);
    const intruder = await newAccount(server);
    const { done } = await exportDone(owner.client, { format: 'json' });
    for (const id of [done.body.id, 'export_01jzzzzzzzzzzzzzzzzzzzzzzz', 'bogus']) {
      const res = await intruder.client.get(`/v1/exports/${id}`);
      expect(res.status).toBe(404);
      expect(res.body.error).toEqual({ code: 'not_found', message: 'Export not found', details: {} });
    }
    expect((await intruder.client.get('/v1/exports')).body.data).toEqual([]);
    const gql = await intruder.client.request('POST', '/graphql', { query: `{ export(id: "${done.body.id}") { id } }` });
    expect(gql.body.errors[0].extensions.code).toBe('not_found');
  });

  it('after expiry the link answers 410 and the cleanup job removes the file', async () => {
    const { client, account } = await newAccount(server);
    await seed(client);
    const { done } = await exportDone(client, { format: 'csv' });
    expect((await download(done.body.download_url)).status).toBe(200);
    const tampered = done.body.download_url.replace(/signature=./, 'signature=x');
    expect((await fetch(tampered)).status).toBe(403);
    await server.running.app.db.query(`UPDATE exports SET expires_at = now() - interval '1 second' WHERE id = $1`, [done.body.id]);
    const gone = await fetch(done.body.download_url);
    expect(gone.status).toBe(410);
    expect(((await gone.json()) as any).error.code).toBe('gone');
    const dir = path.join(dataDir, 'files', 'exports', account.id);
    expect(fs.readdirSync(dir)).toEqual([`${done.body.id}.csv`]);
    expect(await cleanupExpiredExports(server.running.app)).toBeGreaterThanOrEqual(1);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect((await fetch(done.body.download_url)).status).toBe(410);
    expect((await client.get(`/v1/exports/${done.body.id}`)).body.status).toBe('completed');
  });
});

describe('GraphQL', () => {
  it('createExport, export, exports', async () => {
    const { client } = await newAccount(server);
    await seed(client);
    const created = await client.request('POST', '/graphql', {
      query:
        'mutation { createExport(format: "markdown", filters: { source: "whatsapp" }, options: { includeAttachments: false }) { id status format } }',
    });
    expect(created.body.errors).toBeUndefined();
    const id = created.body.data.createExport.id;
    expect(created.body.data.createExport).toMatchObject({ status: 'processing', format: 'markdown' });
    const done = await eventually(
      () =>
        client.request('POST', '/graphql', {
          query: `{ export(id: "${id}") { status conversationCount sizeMb downloadUrl expiresAt filters { source } } exports { meta { total } } }`,
        }),
      (r) => r.body.data?.export.status !== 'processing',
      30_000,
    );
    expect(done.body.data.export).toMatchObject({ status: 'completed', conversationCount: 1, filters: { source: 'whatsapp' } });
    expect(done.body.data.exports.meta.total).toBe(1);
    const bad = await client.request('POST', '/graphql', { query: 'mutation { createExport(format: "xls") { id } }' });
    expect(bad.body.errors[0].extensions.code).toBe('validation_error');
  });
});
