// Attachments (docs/spec/product.md §7) through HTTP: multipart uploads, sniffed types, sanitised names, limits,
// signed downloads, deletion of bytes, quota, tenant isolation, and the GraphQL multipart upload.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signerFor } from '../src/lib/storage/signing.js';
import { filesUnder, graphqlUpload, PNG_1x1, uploadFile } from './helpers/files.js';
import { dropPrefix, parkedJobsEnv } from './helpers/jobs.js';
import { newAccount, startTestServer, type Client, type TestServer } from './helpers/server.js';

const SECRET = 'test-signing-secret-0123456789abcdef';
const MAX = 100_000;
let server: TestServer;
let dataDir: string;
const jobs = parkedJobsEnv();

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amc-att-'));
  server = await startTestServer({
    ...jobs,
    DATA_DIR: dataDir,
    MAX_UPLOAD_BYTES: String(MAX),
    FILE_SIGNING_SECRET: SECRET,
    PLANS_JSON: JSON.stringify({ tiny: { storageLimitMb: 0.1, requestsPerDay: 100000, requestsPerMinute: 100000 } }),
  });
});
afterAll(async () => {
  await server?.stop();
  await dropPrefix(15, jobs.QUEUE_PREFIX);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

async function conversation(c: Client, content = 'Tom: here is the file.') {
  const res = await c.post('/v1/conversations', { title: 'With files', content });
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
}

function accountFiles(accountId: string) {
  return filesUnder(path.join(dataDir, 'files', 'attachments', accountId));
}

describe('POST /v1/conversations/{id}/attachments', () => {
  it('stores a file: 201 with the documented fields, the type sniffed from the bytes', async () => {
    const { client, api_key, account } = await newAccount(server);
    const conv = await conversation(client);
    const res = await uploadFile(server.url, api_key, conv, { file: { bytes: PNG_1x1, name: 'notes.txt', type: 'text/plain' } });
    expect(res.status, res.text).toBe(201);
    expect(Object.keys(res.body)).toEqual(['id', 'filename', 'size', 'mime_type', 'url', 'created_at']);
    expect(res.body).toMatchObject({ filename: 'notes.txt', size: PNG_1x1.length, mime_type: 'image/png' });
    expect(res.body.id).toMatch(/^att_[0-9a-z]{26}$/);
    expect(res.body.created_at).toMatch(ISO);
    expect(res.body.url).toMatch(new RegExp(`^${server.url}/v1/files/${res.body.id}/notes\\.txt\\?expires=\\d+&signature=[\\w-]+$`));
    expect(accountFiles(account.id)).toHaveLength(1);

    const list = await client.get(`/v1/conversations/${conv}/attachments`);
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    const { url: _u, ...rest } = res.body;
    expect(list.body.data[0]).toMatchObject(rest);

    const got = await client.get(`/v1/conversations/${conv}`);
    expect(got.body.attachments).toEqual([
      { id: res.body.id, filename: 'notes.txt', size: PNG_1x1.length, url: expect.stringContaining('/v1/files/') },
    ]);
  });

  it('tells text from binary, and refines text by extension', async () => {
    const { client, api_key } = await newAccount(server);
    const conv = await conversation(client);
    const csv = await uploadFile(server.url, api_key, conv, { file: { bytes: 'a,b\n1,2\n', name: 'data.csv', type: 'application/pdf' } });
    expect(csv.body.mime_type).toBe('text/csv');
    const txt = await uploadFile(server.url, api_key, conv, { file: { bytes: 'Grüße aus Köln — 你好', name: 'x.pdf' } });
    expect(txt.body.mime_type).toBe('text/plain');
    const bin = await uploadFile(server.url, api_key, conv, { file: { bytes: new Uint8Array([0, 1, 2, 255, 0, 7]), name: 'x.png' } });
    expect(bin.body.mime_type).toBe('application/octet-stream');
    const pdf = await uploadFile(server.url, api_key, conv, { file: { bytes: '%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n', name: 'doc' } });
    expect(pdf.body.mime_type).toBe('application/pdf');
  });

  it('sanitises file names, and the `filename` field (before or after the file) overrides the part name', async () => {
    const { client, api_key, account } = await newAccount(server);
    const conv = await conversation(client);
    const traversal = await uploadFile(server.url, api_key, conv, { file: { bytes: 'root:x:0:0', name: '../../etc/passwd' } });
    expect(traversal.status, traversal.text).toBe(201);
    expect(traversal.body.filename).toBe('passwd');
    const named = await uploadFile(server.url, api_key, conv, {
      file: { bytes: 'hello', name: 'a.txt' },
      filename: '..\\..\\evil\u0000\u202e name<>.txt',
    });
    expect(named.body.filename).toBe('evil name__.txt');
    const dots = await uploadFile(server.url, api_key, conv, { file: { bytes: 'hello', name: 'a.txt' }, filename: '..' });
    expect(dots.body.filename).toBe('file');
    // Field before the file part.
    const form = new FormData();
    form.append('filename', 'Résumé (final).txt');
    form.append('file', new Blob(['hello']), 'ignored.txt');
    const before = await fetch(`${server.url}/v1/conversations/${conv}/attachments`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${api_key}` },
      body: form,
    });
    expect(((await before.json()) as any).filename).toBe('Résumé (final).txt');
    // Everything is stored under the account's directory by id, whatever the name said.
    expect(accountFiles(account.id).every((f) => /^conv_\w+\/att_\w+$/.test(f))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'etc'))).toBe(false);
  });

  it('refuses a file over the limit with 413 and stores nothing', async () => {
    const { client, api_key, account } = await newAccount(server);
    const conv = await conversation(client);
    const res = await uploadFile(server.url, api_key, conv, { file: { bytes: new Uint8Array(MAX + 1).fill(65), name: 'big.txt' } });
    expect(res.status, res.text).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect((await client.get(`/v1/conversations/${conv}/attachments`)).body.data).toEqual([]);
    expect(accountFiles(account.id)).toEqual([]);
    // Exactly the limit is fine.
    const ok = await uploadFile(server.url, api_key, conv, { file: { bytes: new Uint8Array(MAX).fill(65), name: 'max.txt' } });
    expect(ok.status).toBe(201);
    expect(ok.body.size).toBe(MAX);
  });

  it('answers 422 for an empty file or a missing file part, 415 for a non-multipart body', async () => {
    const { client, api_key, account } = await newAccount(server);
    const conv = await conversation(client);
    const empty = await uploadFile(server.url, api_key, conv, { file: { bytes: '', name: 'empty.txt' } });
    expect(empty.status).toBe(422);
    expect(empty.body.error.details.fields).toEqual({ file: ['File must not be empty'] });
    const missing = await uploadFile(server.url, api_key, conv, { filename: 'x.txt' });
    expect(missing.status).toBe(422);
    expect(missing.body.error.details.fields).toEqual({ file: ['File is required'] });
    const unknown = await uploadFile(server.url, api_key, conv, { file: { bytes: 'x', name: 'x.txt' }, extra: { colour: 'red' } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.details.fields).toEqual({ colour: ['Unknown field'] });
    const json = await client.post(`/v1/conversations/${conv}/attachments`, { file: 'x' });
    expect(json.status).toBe(415);
    expect(accountFiles(account.id)).toEqual([]);
    expect((await client.get(`/v1/conversations/${conv}/attachments`)).body.data).toEqual([]);
  });

  it('needs an API key', async () => {
    const { client } = await newAccount(server);
    const conv = await conversation(client);
    const res = await uploadFile(server.url, undefined, conv, { file: { bytes: 'x', name: 'x.txt' } });
    expect(res.status).toBe(401);
  });
});

describe('signed download links', () => {
  it('download without an API key; a tampered or expired link is a 403', async () => {
    const { client, api_key } = await newAccount(server);
    const conv = await conversation(client);
    const up = await uploadFile(server.url, api_key, conv, { file: { bytes: PNG_1x1, name: 'pixel.png' } });
    const dl = await fetch(up.body.url);
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-type')).toBe('image/png');
    expect(dl.headers.get('content-disposition')).toContain('attachment; filename="pixel.png"');
    expect(dl.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await dl.arrayBuffer())).toEqual(PNG_1x1);

    const url = new URL(up.body.url);
    const tampered = [
      url.toString().replace(/signature=./, (m) => m.slice(0, -1) + (m.endsWith('A') ? 'B' : 'A')),
      url.toString().replace(/expires=(\d+)/, (_m, e) => `expires=${Number(e) + 1000}`),
      url.toString().replace('pixel.png', 'other.png'),
      `${url.origin}${url.pathname}`,
    ];
    for (const t of tampered) {
      const res = await fetch(t);
      expect(res.status, t).toBe(403);
      expect(((await res.json()) as any).error.code).toBe('forbidden');
    }
    const expired = signerFor(SECRET).url(server.url, `${up.body.id}/pixel.png`, new Date(Date.now() - 1000));
    const res = await fetch(expired);
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).error).toEqual({ code: 'forbidden', message: 'Invalid or expired download link', details: {} });
  });
});

describe('DELETE', () => {
  it('deleting an attachment deletes its bytes; deleting the conversation deletes all of them', async () => {
    const { client, api_key, account } = await newAccount(server);
    const conv = await conversation(client);
    const a = await uploadFile(server.url, api_key, conv, { file: { bytes: 'one', name: '1.txt' } });
    const b = await uploadFile(server.url, api_key, conv, { file: { bytes: 'two', name: '2.txt' } });
    const c = await uploadFile(server.url, api_key, conv, { file: { bytes: 'three', name: '3.txt' } });
    expect(accountFiles(account.id)).toHaveLength(3);

    const del = await client.delete(`/v1/attachments/${a.body.id}`);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ deleted: true, id: a.body.id });
    expect(accountFiles(account.id)).toHaveLength(2);
    expect((await fetch(a.body.url)).status).toBe(404);
    expect((await client.delete(`/v1/attachments/${a.body.id}`)).status).toBe(404);

    expect((await client.delete(`/v1/conversations/${conv}`)).status).toBe(200);
    expect(accountFiles(account.id)).toEqual([]);
    for (const x of [b, c]) expect((await fetch(x.body.url)).status).toBe(404);
  });
});

describe('storage quota', () => {
  it('refuses an upload that would exceed the plan with 403 storage_quota_exceeded, storing nothing', async () => {
    const { client, api_key, account } = await newAccount(server, 'tiny'); // 0.1 MB = 104,857 bytes
    const conv = await conversation(client);
    const first = await uploadFile(server.url, api_key, conv, { file: { bytes: new Uint8Array(60_000).fill(66), name: 'a.txt' } });
    expect(first.status, first.text).toBe(201);
    const second = await uploadFile(server.url, api_key, conv, { file: { bytes: new Uint8Array(60_000).fill(67), name: 'b.txt' } });
    expect(second.status, second.text).toBe(403);
    expect(second.body.error.code).toBe('storage_quota_exceeded');
    expect(second.body.error.details).toMatchObject({ limit_mb: 0.1 });
    expect(accountFiles(account.id)).toHaveLength(1);
    expect((await client.get(`/v1/conversations/${conv}/attachments`)).body.data).toHaveLength(1);
    // What still fits is accepted.
    const small = await uploadFile(server.url, api_key, conv, { file: { bytes: new Uint8Array(10_000).fill(68), name: 'c.txt' } });
    expect(small.status).toBe(201);
    // Crossing 80% of the limit, and the refusal, are events (webhooks outbox).
    const events = async () =>
      (
        await server.running.app.db.query<{ type: string; data: any }>(
          `SELECT type, data FROM events WHERE account_id = $1 ORDER BY created_at`,
          [account.id],
        )
      ).filter((e) => e.type.startsWith('storage.'));
    expect((await events()).map((e) => e.type)).toEqual(['storage.limit_exceeded']);
    expect((await events())[0].data).toMatchObject({ limit_mb: 0.1, resource: 'attachment' });
    const crossing = await uploadFile(server.url, api_key, conv, { file: { bytes: new Uint8Array(20_000).fill(69), name: 'd.txt' } });
    expect(crossing.status).toBe(201);
    expect((await events()).map((e) => e.type)).toEqual(['storage.limit_exceeded', 'storage.limit_reached']);
  });
});

describe('tenant isolation', () => {
  it("answers 404 for another account's conversation or attachment on every route", async () => {
    const owner = await newAccount(server);
    const intruder = await newAccount(server);
    const conv = await conversation(owner.client);
    const att = await uploadFile(server.url, owner.api_key, conv, { file: { bytes: 'secret', name: 's.txt' } });
    const unknownConv = 'conv_01jzzzzzzzzzzzzzzzzzzzzzzz';
    for (const c of [conv, unknownConv, 'nonsense']) {
      const up = await uploadFile(server.url, intruder.api_key, c, { file: { bytes: 'x', name: 'x.txt' } });
      expect(up.status).toBe(404);
      expect(up.body.error).toEqual({ code: 'not_found', message: 'Conversation not found', details: {} });
      const list = await intruder.client.get(`/v1/conversations/${c}/attachments`);
      expect(list.status).toBe(404);
    }
    for (const a of [att.body.id, 'att_01jzzzzzzzzzzzzzzzzzzzzzzz', 'x']) {
      const del = await intruder.client.delete(`/v1/attachments/${a}`);
      expect(del.status).toBe(404);
      expect(del.body.error).toEqual({ code: 'not_found', message: 'Attachment not found', details: {} });
    }
    const gql = await intruder.client.request('POST', '/graphql', {
      query: `{ conversationAttachments(conversationId: "${conv}") { data { id } } }`,
    });
    expect(gql.body.errors[0].extensions.code).toBe('not_found');
    const gqlDel = await intruder.client.request('POST', '/graphql', {
      query: `mutation { deleteAttachment(id: "${att.body.id}") { id } }`,
    });
    expect(gqlDel.body.errors[0].extensions.code).toBe('not_found');
    const gqlUp = await graphqlUpload(
      server.url,
      intruder.api_key,
      'mutation($c: ID!, $file: Upload!) { uploadAttachment(conversationId: $c, file: $file) { id } }',
      { c: conv },
      { bytes: 'x', name: 'x.txt' },
    );
    expect(gqlUp.body.errors[0].extensions.code).toBe('not_found');
    expect((await owner.client.get(`/v1/conversations/${conv}/attachments`)).body.data).toHaveLength(1);
  });
});

describe('GraphQL', () => {
  const UPLOAD =
    'mutation($c: ID!, $file: Upload!, $name: String) { uploadAttachment(conversationId: $c, file: $file, filename: $name) { id filename size mimeType url createdAt conversationId } }';

  it('uploads through the GraphQL multipart request spec, and lists on the conversation', async () => {
    const { client, api_key } = await newAccount(server);
    const conv = await conversation(client);
    const res = await graphqlUpload(
      server.url,
      api_key,
      UPLOAD,
      { c: conv, name: '../x/diagram.bin' },
      { bytes: PNG_1x1, name: 'ignored.txt' },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body.errors).toBeUndefined();
    const a = res.body.data.uploadAttachment;
    expect(a).toMatchObject({ filename: 'diagram.bin', size: PNG_1x1.length, mimeType: 'image/png', conversationId: conv });
    expect((await fetch(a.url)).status).toBe(200);
    const q = await client.request('POST', '/graphql', {
      query: `{ conversation(id: "${conv}") { attachments { id filename } } conversationAttachments(conversationId: "${conv}") { data { id } } }`,
    });
    expect(q.body.data.conversation.attachments).toEqual([{ id: a.id, filename: 'diagram.bin' }]);
    expect(q.body.data.conversationAttachments.data).toEqual([{ id: a.id }]);
    const del = await client.request('POST', '/graphql', { query: `mutation { deleteAttachment(id: "${a.id}") { deleted id } }` });
    expect(del.body.data.deleteAttachment).toEqual({ deleted: true, id: a.id });
  });

  it('applies the same limits: 413 code for an oversized file, validation for an empty one', async () => {
    const { client, api_key, account } = await newAccount(server);
    const conv = await conversation(client);
    const big = await graphqlUpload(server.url, api_key, UPLOAD, { c: conv }, { bytes: new Uint8Array(MAX + 1), name: 'big.bin' });
    expect(big.body.errors[0].extensions.code).toBe('payload_too_large');
    const empty = await graphqlUpload(server.url, api_key, UPLOAD, { c: conv }, { bytes: '', name: 'e.bin' });
    expect(empty.body.errors[0].extensions.code).toBe('validation_error');
    expect(accountFiles(account.id)).toEqual([]);
  });
});
