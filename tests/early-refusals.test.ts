// Early refusals that clients can read (docs/api.md, "Early refusals"): a request refused before its
// body is read (401, 403, 404, 413, 415, 429) still gets its answer to the client — Node's fetch and
// curl, with a small body and with a 25 MB one — and the server then stays usable. Before, a small PNG
// posted to an unknown conversation failed in the client with EPIPE instead of a 404.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PNG_1x1 } from './helpers/files.js';
import { newAccount, readResponse, startTestServer, type TestServer } from './helpers/server.js';

const run = promisify(execFile);
const MB = 1024 * 1024;
const UNKNOWN_CONVERSATION = 'conv_00000000000000000000000000';
// `tiny` stores 0.01 MB; `limited` takes one request a minute.
const PLANS_JSON = JSON.stringify({
  tiny: { storageLimitMb: 0.01, requestsPerDay: 100000, requestsPerMinute: 100000 },
  limited: { storageLimitMb: 100, requestsPerDay: 100000, requestsPerMinute: 1 },
});

// 25 MB bodies on a shared, busy machine.
vi.setConfig({ testTimeout: 120_000 });
let server: TestServer;
let small: TestServer;
beforeAll(async () => {
  [server, small] = await Promise.all([
    startTestServer({ PLANS_JSON, RATE_LIMITS_ENABLED: 'true' }),
    // Limits far below the bodies sent, for the 413s.
    startTestServer({ MAX_UPLOAD_BYTES: String(MB), JSON_BODY_LIMIT_BYTES: String(64 * 1024) }),
  ]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), small?.stop()]);
});

const SIZES = { small: PNG_1x1, '25 MB': Buffer.alloc(25 * MB, 0x41) } as const;

function form(bytes: Uint8Array, name = 'image.png'): FormData {
  const f = new FormData();
  f.append('file', new Blob([bytes as BlobPart], { type: 'image/png' }), name);
  return f;
}

async function upload(base: string, conversationId: string, bytes: Uint8Array, apiKey?: string) {
  return readResponse(
    await fetch(`${base}/v1/conversations/${conversationId}/attachments`, {
      method: 'POST',
      headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : {},
      body: form(bytes),
    }),
  );
}

/** A body of unknown length (chunked): the server can only count it. */
function chunked(bytes: Buffer, chunk = 256 * 1024): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, (at += chunk)));
    },
  });
}

/** The server still answers on a fresh request (it did not stall or die on the refused body). */
async function stillServes(base: string, apiKey: string) {
  const res = await fetch(`${base}/v1/account`, { headers: { Authorization: `Bearer ${apiKey}` } });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
}

describe.each(Object.entries(SIZES))('refused uploads with a %s body reach the client (Node fetch)', (_size, bytes) => {
  it('404 for an unknown conversation', async () => {
    const { api_key } = await newAccount(server);
    const res = await upload(server.url, UNKNOWN_CONVERSATION, bytes, api_key);
    expect(res.status, res.text).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    await stillServes(server.url, api_key);
  });

  it('401 without an API key', async () => {
    const { api_key, client } = await newAccount(server);
    const conv = await client.post('/v1/conversations', { title: 'up', content: 'Tom: hi' });
    const res = await upload(server.url, conv.body.id, bytes);
    expect(res.status, res.text).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
    await stillServes(server.url, api_key);
  });

  it('403 over the storage quota', async () => {
    const { api_key, client } = await newAccount(server, 'tiny');
    // 10,000 of the 10,485 bytes used: neither the PNG's form nor 25 MB fits.
    const conv = await client.post('/v1/conversations', { title: 'T', content: 'x'.repeat(9_997) });
    expect(conv.status).toBe(201);
    const res = await upload(server.url, conv.body.id, bytes.length < 1000 ? Buffer.alloc(1_000, 0x42) : bytes, api_key);
    expect(res.status, res.text).toBe(403);
    expect(res.body.error.code).toBe('storage_quota_exceeded');
    await stillServes(server.url, api_key);
  });

  it('429 over the rate limit', async () => {
    const { api_key, client } = await newAccount(server, 'limited');
    expect((await client.get('/v1/account')).status).toBe(200); // the minute's one request
    const res = await upload(server.url, UNKNOWN_CONVERSATION, bytes, api_key);
    expect(res.status, res.text).toBe(429);
    expect(res.body.error.code).toBe('rate_limit_exceeded');
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('415 for a JSON route given another media type', async () => {
    const { api_key } = await newAccount(server);
    const res = await readResponse(
      await fetch(`${server.url}/v1/conversations`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${api_key}`, 'Content-Type': 'image/png' },
        body: bytes,
      }),
    );
    expect(res.status, res.text).toBe(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
    await stillServes(server.url, api_key);
  });
});

describe('413 before the body is read', () => {
  it('an upload declared over MAX_UPLOAD_BYTES, and a JSON body over its limit, declared or counted', async () => {
    const { api_key } = await newAccount(small);
    const big = SIZES['25 MB'];
    const { client } = await newAccount(small);
    const conv = await client.post('/v1/conversations', { title: 'up', content: 'Tom: hi' });
    const file = await upload(small.url, conv.body.id, big, api_key);
    expect(file.status, file.text).toBe(404); // another account's conversation: refused before the size
    const own = await newAccount(small);
    const ownConv = await own.client.post('/v1/conversations', { title: 'up', content: 'Tom: hi' });
    const tooBig = await upload(small.url, ownConv.body.id, big, own.api_key);
    expect(tooBig.status, tooBig.text).toBe(413);
    expect(tooBig.body.error).toMatchObject({ code: 'payload_too_large', details: { limit_bytes: MB } });

    const headers = { Authorization: `Bearer ${api_key}`, 'Content-Type': 'application/json' };
    const declared = await readResponse(await fetch(`${small.url}/v1/conversations`, { method: 'POST', headers, body: big }));
    expect(declared.status, declared.text).toBe(413);
    const counted = await readResponse(
      await fetch(`${small.url}/v1/conversations`, { method: 'POST', headers, body: chunked(big), duplex: 'half' } as RequestInit),
    );
    expect(counted.status, counted.text).toBe(413);
    expect(counted.body.error.code).toBe('payload_too_large');
    await stillServes(small.url, api_key);
  });
});

describe('curl', () => {
  it.each(Object.entries(SIZES))('reads the 404 of an upload to an unknown conversation (%s body)', async (_size, bytes) => {
    const { api_key } = await newAccount(server);
    const dir = await import('node:fs/promises').then((fs) => fs.mkdtemp('/tmp/amc-early-'));
    const file = `${dir}/upload.png`;
    await import('node:fs/promises').then((fs) => fs.writeFile(file, bytes));
    const { stdout } = await run('curl', [
      '-sS',
      '-o',
      '-',
      '-w',
      '\n%{http_code}',
      '-H',
      `Authorization: Bearer ${api_key}`,
      '-F',
      `file=@${file};type=image/png`,
      `${server.url}/v1/conversations/${UNKNOWN_CONVERSATION}/attachments`,
    ]);
    const [body, status] = stdout.split('\n');
    expect(status).toBe('404');
    expect(JSON.parse(body).error.code).toBe('not_found');
    await import('node:fs/promises').then((fs) => fs.rm(dir, { recursive: true, force: true }));
  });
});

/**
 * The body sent only after the refusal has arrived, over a raw connection: what a slower network does to
 * any client (the answer comes back while the body is still on its way). The server must keep reading:
 * a connection reset here is the EPIPE a client saw instead of the 404.
 */
async function bodyAfterAnswer(base: string, path: string, headers: Record<string, string>, body: Buffer) {
  const { hostname, port } = new URL(base);
  const socket = net.connect(Number(port), hostname);
  await once(socket, 'connect');
  let received = '';
  let resetOrBroken: string | undefined;
  socket.on('data', (d) => (received += d.toString('latin1')));
  socket.on('error', (e: NodeJS.ErrnoException) => (resetOrBroken = e.code));
  const ended = new Promise<void>((resolve) => {
    socket.once('end', resolve);
    socket.once('close', () => resolve());
  });
  const head = Object.entries({ Host: `${hostname}:${port}`, 'Content-Length': String(body.length), ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n`);
  // The whole answer first (it has a Content-Length), then the body.
  while (
    !/\r\n\r\n/.test(received) ||
    received.length < received.indexOf('\r\n\r\n') + 4 + Number(/content-length: (\d+)/i.exec(received)?.[1] ?? 0)
  ) {
    await new Promise((r) => setTimeout(r, 10));
    if (resetOrBroken) break;
  }
  const answer = received;
  for (let at = 0; at < body.length && !resetOrBroken && socket.writable; at += 64 * 1024) {
    if (!socket.write(body.subarray(at, at + 64 * 1024))) await Promise.race([once(socket, 'drain'), ended]);
  }
  return { answer, socket, ended, broken: () => resetOrBroken };
}

describe('the body arriving after the answer (raw connection)', () => {
  it('a small body is read and the connection kept: a second request on it is answered', async () => {
    const { api_key } = await newAccount(server);
    const boundary = 'b0undary';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`),
      PNG_1x1,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const r = await bodyAfterAnswer(
      server.url,
      `/v1/conversations/${UNKNOWN_CONVERSATION}/attachments`,
      { Authorization: `Bearer ${api_key}`, 'Content-Type': `multipart/form-data; boundary=${boundary}` },
      body,
    );
    expect(r.answer).toMatch(/^HTTP\/1\.1 404 /);
    expect(r.answer).not.toMatch(/\r\nconnection: close\r\n/i);
    const before = r.answer.length;
    r.socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n`);
    await new Promise<void>((resolve, reject) => {
      const check = () =>
        /HTTP\/1\.1 200 /.test(readAll().slice(before)) ? resolve() : r.broken() ? reject(new Error(r.broken())) : setTimeout(check, 10);
      let all = r.answer;
      r.socket.on('data', (d) => (all += d.toString('latin1')));
      const readAll = () => all;
      check();
    });
    expect(r.broken()).toBeUndefined();
    r.socket.destroy();
  });

  it('a body over the drain bound (2 MB) is read on until it ends, then the connection closes cleanly (no reset)', async () => {
    const r = await bodyAfterAnswer(
      server.url,
      `/v1/conversations/${UNKNOWN_CONVERSATION}/attachments`,
      { 'Content-Type': 'multipart/form-data; boundary=x' },
      Buffer.alloc(2 * MB, 0x41),
    );
    expect(r.answer).toMatch(/^HTTP\/1\.1 401 /);
    await r.ended;
    expect(r.broken()).toBeUndefined();
    r.socket.destroy();
  });
});
