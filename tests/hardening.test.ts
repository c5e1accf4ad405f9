// Hardening through HTTP: security headers on every response (GraphiQL still served), CORS on and
// off with preflights on /v1 and /graphql, GraphQL introspection and GraphiQL switched off, a 413
// payload_too_large on every door that reads a body, and slow clients cut off by the server timeouts.
import { once } from 'node:events';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { signatureOf } from '../src/modules/inbound/whatsapp/whatsapp-webhook.js';
import { graphqlUpload, uploadFile } from './helpers/files.js';
import { newAccount, readResponse, startTestServer, type TestServer } from './helpers/server.js';

const ORIGIN = 'https://app.example.com';
const APP_SECRET = 'hardening-app-secret';
const LIMIT = 2048;

let open: TestServer;
let closed: TestServer;
beforeAll(async () => {
  [open, closed] = await Promise.all([
    // NODE_ENV=test: introspection and GraphiQL on by default. Small limits, so that bodies stay small.
    startTestServer({
      CORS_ORIGINS: `${ORIGIN},http://localhost:5173`,
      JSON_BODY_LIMIT_BYTES: String(LIMIT),
      MAX_UPLOAD_BYTES: String(LIMIT),
      INBOUND_EMAIL_MAX_BYTES: String(LIMIT),
      WHATSAPP_IMPORT_MAX_BYTES: String(LIMIT),
      WHATSAPP_APP_SECRET: APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: 'hardening-verify',
    }),
    // CORS unset; introspection and GraphiQL off; short timeouts against slow clients.
    startTestServer({ GRAPHQL_INTROSPECTION: 'false', GRAPHIQL: 'false', HTTP_HEADERS_TIMEOUT_MS: '500', HTTP_REQUEST_TIMEOUT_MS: '1000' }),
  ]);
});
afterAll(async () => {
  await Promise.all([open?.stop(), closed?.stop()]);
});

const CHAT = 'Tom: Can you send the pricing sheet?\nAnna: Sure, I will send it tomorrow.';

function expectSecurityHeaders(h: Headers, what: string) {
  expect(h.get('x-content-type-options'), what).toBe('nosniff');
  expect(h.get('x-frame-options'), what).toBe('DENY');
  expect(h.get('strict-transport-security'), what).toBe('max-age=31536000; includeSubDomains');
  expect(h.get('referrer-policy'), what).toBe('no-referrer');
  expect(h.get('cross-origin-opener-policy'), what).toBe('same-origin');
  expect(h.get('x-powered-by'), what).toBeNull();
}

describe('security headers', () => {
  it('are on every response: success, error, REST, GraphQL, health, unknown paths', async () => {
    const { client } = await newAccount(open);
    const responses = {
      rest: await client.get('/v1/conversations'),
      restCreated: await client.post('/v1/conversations', { title: 'h', content: CHAT }),
      unauthorized: await readResponse(await fetch(`${open.url}/v1/conversations`)),
      notFound: await client.get('/nowhere'),
      graphql: await client.post('/graphql', { query: '{ conversations(perPage: 1) { meta { total } } }' }),
      graphqlError: await client.post('/graphql', { query: '{ nope }' }),
      openapi: await client.get('/v1/openapi.json'),
      healthz: await readResponse(await fetch(`${open.url}/healthz`)),
      readyz: await readResponse(await fetch(`${open.url}/readyz`)),
    };
    for (const [what, res] of Object.entries(responses)) {
      expectSecurityHeaders(res.headers, what);
      expect(res.headers.get('content-security-policy'), what).toBe("default-src 'none';frame-ancestors 'none'");
      expect(res.headers.get('cross-origin-resource-policy'), what).toBe('same-origin');
    }
    expect(responses.restCreated.status).toBe(201);
    expect(responses.unauthorized.status).toBe(401);
  });

  it('let signed download links be used from other origins, with their own sandboxing CSP', async () => {
    const res = await fetch(`${open.url}/v1/files/att_x/name.txt?expires=1&signature=x`);
    expect(res.status).toBe(403);
    expectSecurityHeaders(res.headers, 'files');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
  });

  it('keep GraphiQL working: its own CSP (inline script by hash, nothing from elsewhere), every other header', async () => {
    const res = await fetch(`${open.url}/graphql`, { headers: { Accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('<title>AImyChats GraphQL</title>');
    // Served from the package: no script, style or image from a CDN.
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="https?:/);
    expect(res.headers.get('content-security-policy')).toMatch(
      /^default-src 'none'; script-src 'sha256-[\w+/=]+'; style-src 'unsafe-inline'; worker-src blob:; img-src data:; font-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$/,
    );
    expectSecurityHeaders(res.headers, 'graphiql');
    // The page (~9 MB) is revalidated, not downloaded again.
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"[\w-]{27}"$/);
    const again = await fetch(`${open.url}/graphql`, { headers: { Accept: 'text/html', 'If-None-Match': etag } });
    expect(again.status).toBe(304);
  });
});

describe('CORS', () => {
  it('answers preflights on /v1 and /graphql for a listed origin, and exposes the useful headers', async () => {
    for (const path of ['/v1/conversations', '/v1/conversations/conv_x', '/graphql']) {
      const res = await fetch(`${open.url}${path}`, {
        method: 'OPTIONS',
        headers: {
          Origin: ORIGIN,
          'Access-Control-Request-Method': 'PATCH',
          'Access-Control-Request-Headers': 'authorization,content-type',
        },
      });
      expect(res.status, path).toBe(204);
      expect(res.headers.get('access-control-allow-origin'), path).toBe(ORIGIN);
      expect(res.headers.get('access-control-allow-methods'), path).toContain('PATCH');
      expect(res.headers.get('access-control-allow-headers'), path).toBe('authorization,content-type');
      expect(res.headers.get('access-control-max-age'), path).toBe('600');
      expect(res.headers.get('access-control-allow-credentials'), path).toBeNull();
      expect(res.headers.get('vary'), path).toContain('Origin');
    }
    const { api_key } = await newAccount(open);
    const get = await fetch(`${open.url}/v1/conversations`, {
      headers: { Origin: 'http://localhost:5173', Authorization: `Bearer ${api_key}` },
    });
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(get.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
    expect(get.headers.get('access-control-expose-headers')).toContain('X-RateLimit-Remaining');
    expect(get.headers.get('access-control-expose-headers')).toContain('Idempotent-Replayed');
    const gql = await fetch(`${open.url}/graphql`, {
      method: 'POST',
      headers: { Origin: ORIGIN, Authorization: `Bearer ${api_key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: '{ conversations(perPage: 1) { meta { total } } }' }),
    });
    expect(gql.status).toBe(200);
    expect(gql.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });

  it('gives an unlisted origin no CORS permission', async () => {
    const pre = await fetch(`${open.url}/v1/conversations`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const get = await fetch(`${open.url}/healthz`, { headers: { Origin: 'https://evil.example' } });
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sends no CORS headers at all when CORS_ORIGINS is unset (preflight is then a 405 on /v1)', async () => {
    const { api_key } = await newAccount(closed);
    for (const path of ['/v1/conversations', '/graphql']) {
      const res = await fetch(`${closed.url}${path}`, { headers: { Origin: ORIGIN, Authorization: `Bearer ${api_key}` } });
      expect(res.headers.get('access-control-allow-origin'), path).toBeNull();
    }
    const gql = await fetch(`${closed.url}/graphql`, {
      method: 'POST',
      headers: { Origin: ORIGIN, Authorization: `Bearer ${api_key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: '{ conversations(perPage: 1) { meta { total } } }' }),
    });
    expect(gql.status).toBe(200);
    expect(gql.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await fetch(`${closed.url}/v1/conversations`, {
      method: 'OPTIONS',
      headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST' },
    });
    expect(pre.status).toBe(405);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const preGql = await fetch(`${closed.url}/graphql`, {
      method: 'OPTIONS',
      headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST' },
    });
    expect(preGql.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('GraphQL exposure', () => {
  const INTROSPECT = '{ __schema { queryType { name } } }';

  it('answers introspection while GRAPHQL_INTROSPECTION is on (the development default)', async () => {
    const { client } = await newAccount(open);
    const res = await client.post('/graphql', { query: INTROSPECT });
    expect(res.body.data.__schema.queryType.name).toBe('Query');
  });

  it('refuses __schema and __type when GRAPHQL_INTROSPECTION=false; ordinary queries still work', async () => {
    const { client } = await newAccount(closed);
    for (const query of [INTROSPECT, '{ __type(name: "Conversation") { name } }']) {
      const res = await client.post('/graphql', { query });
      expect(res.body.data, query).toBeUndefined();
      expect(res.body.errors[0].extensions.code, query).toBe('bad_request');
      expect(res.body.errors[0].message, query).toMatch(/introspection/i);
    }
    const ok = await client.post('/graphql', { query: '{ __typename conversations(perPage: 1) { meta { total } } }' });
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data.__typename).toBe('Query');
  });

  it('serves no GraphiQL page when GRAPHIQL=false', async () => {
    const res = await fetch(`${closed.url}/graphql`, { headers: { Accept: 'text/html' } });
    expect(res.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    expect(await res.text()).not.toMatch(/graphiql/i);
  });

  it('switches both off by default when NODE_ENV=production', () => {
    const prod = loadConfig({ NODE_ENV: 'production' });
    expect(prod.server).toMatchObject({ introspection: false, graphiql: false });
    expect(loadConfig({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true', GRAPHIQL: 'yes' }).server).toMatchObject({
      introspection: true,
      graphiql: true,
    });
    expect(loadConfig({ NODE_ENV: 'development' }).server).toMatchObject({ introspection: true, graphiql: true, corsOrigins: undefined });
    expect(loadConfig({ CORS_ORIGINS: '*' }).server.corsOrigins).toBe('*');
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, http://localhost:5173/' }).server.corsOrigins).toEqual([
      'https://a.example',
      'http://localhost:5173',
    ]);
    expect(() => loadConfig({ CORS_ORIGINS: 'https://a.example/path' })).toThrow(ConfigError);
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '1000' })).toThrow(/HTTP_HEADERS_TIMEOUT_MS/);
  });
});

describe('body size limits: 413 payload_too_large on every door that reads a body', () => {
  const big = 'x'.repeat(LIMIT + 1);

  it('/v1 JSON bodies (POST and PATCH)', async () => {
    const { client } = await newAccount(open);
    const post = await client.post('/v1/conversations', { title: 'big', content: big });
    expect(post.status).toBe(413);
    expect(post.body.error).toMatchObject({ code: 'payload_too_large', details: { limit_bytes: LIMIT } });
    const conv = await client.post('/v1/conversations', { title: 'small', content: CHAT });
    const patch = await client.patch(`/v1/conversations/${conv.body.id}`, { content: big });
    expect(patch.status).toBe(413);
    expect(patch.body.error.code).toBe('payload_too_large');
  });

  it('/graphql JSON bodies and multipart uploads', async () => {
    const { client, api_key } = await newAccount(open);
    const json = await client.post('/graphql', {
      query: `mutation { createConversation(input: { title: "big", content: "${big}" }) { id } }`,
    });
    expect(json.status).toBe(413);
    expect(json.body.errors[0].extensions.code).toBe('payload_too_large');
    const conv = await client.post('/v1/conversations', { title: 'up', content: CHAT });
    const upload = await graphqlUpload(
      open.url,
      api_key,
      'mutation($c: ID!, $file: Upload!) { uploadAttachment(conversationId: $c, file: $file) { id } }',
      { c: conv.body.id },
      { bytes: big, name: 'big.txt' },
    );
    expect(upload.body.errors[0].extensions.code).toBe('payload_too_large');
  });

  it('REST uploads: attachments and WhatsApp chat imports', async () => {
    const { client, api_key } = await newAccount(open);
    const conv = await client.post('/v1/conversations', { title: 'up', content: CHAT });
    const attachment = await uploadFile(open.url, api_key, conv.body.id, { file: { bytes: big, name: 'big.txt' } });
    expect(attachment.status, attachment.text).toBe(413);
    expect(attachment.body.error.code).toBe('payload_too_large');
    const form = new FormData();
    form.append('file', new Blob([big]), 'chat.txt');
    const chat = await readResponse(
      await fetch(`${open.url}/v1/conversations/import/whatsapp`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${api_key}` },
        body: form,
      }),
    );
    expect(chat.status, chat.text).toBe(413);
    expect(chat.body.error.code).toBe('payload_too_large');
  });

  it('inbound email and the WhatsApp Cloud API webhook', async () => {
    const { api_key } = await newAccount(open);
    const email = await readResponse(
      await fetch(`${open.url}/v1/inbound/email`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${api_key}`, 'Content-Type': 'message/rfc822' },
        body: `Subject: big\r\n\r\n${big}`,
      }),
    );
    expect(email.status, email.text).toBe(413);
    expect(email.body.error.code).toBe('payload_too_large');
    // The webhook's limit is fixed (3 MB: Meta's deliveries are small); the signature is valid, the size is not.
    const body = Buffer.alloc(3 * 1024 * 1024 + 1, 0x20);
    const hook = await readResponse(
      await fetch(`${open.url}/v1/inbound/whatsapp`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': signatureOf(APP_SECRET, body) },
        body,
      }),
    );
    expect(hook.status, hook.text).toBe(413);
    expect(hook.body.error.code).toBe('payload_too_large');
  });
});

describe('server timeouts against slow clients', () => {
  /** Opens a raw connection, sends `start`, then one byte of `trickle` every 100 ms until the server closes it. */
  async function slowClient(url: string, start: string, trickle: string) {
    const { port } = new URL(url);
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'connect');
    let received = '';
    socket.on('data', (d) => (received += d.toString()));
    socket.write(start);
    let sent = 0;
    const timer = setInterval(() => {
      if (sent < trickle.length && socket.writable) socket.write(trickle[sent++]);
    }, 100);
    await once(socket, 'close');
    clearInterval(timer);
    return { received, sent, total: trickle.length };
  }

  it('cuts off a client sending its headers byte by byte (slowloris): 408 and closed', async () => {
    // 300 bytes at 10 a second would take 30 s; the headers timeout is 500 ms.
    const r = await slowClient(closed.url, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n', `X-Slow: ${'a'.repeat(292)}\r\n\r\n`);
    expect(r.received).toMatch(/^HTTP\/1\.1 408 Request Timeout/);
    expect(r.sent).toBeLessThan(r.total);
  });

  it('answers what never reaches a handler in the envelope too: huge headers 431, a malformed request 400', async () => {
    const raw = async (text: string) => {
      const { port } = new URL(closed.url);
      const socket = net.connect(Number(port), '127.0.0.1');
      socket.on('error', () => {});
      await once(socket, 'connect');
      let received = '';
      socket.on('data', (d) => (received += d.toString()));
      socket.end(text);
      await once(socket, 'close');
      return {
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1]),
        body: JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4)),
      };
    };
    const huge = await raw(`GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(huge).toEqual({ status: 431, body: { error: { code: 'payload_too_large', message: expect.any(String), details: {} } } });
    const garbage = await raw('THIS IS NOT HTTP\r\n\r\n');
    expect(garbage).toEqual({ status: 400, body: { error: { code: 'bad_request', message: expect.any(String), details: {} } } });
  });

  it('cuts off a client sending its body byte by byte: 408 and closed', async () => {
    const { api_key } = await newAccount(closed);
    const body = JSON.stringify({ title: 'slow', content: 'x'.repeat(300) });
    const head = `POST /v1/conversations HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${api_key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const r = await slowClient(closed.url, head, body);
    expect(r.received).toMatch(/^HTTP\/1\.1 408 Request Timeout/);
    expect(r.sent).toBeLessThan(r.total);
  });
});
