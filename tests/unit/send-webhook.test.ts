// One delivery attempt against real sockets: no redirects, bounded reading, the deadline, the guard,
// and signatures that the public `standardwebhooks` package verifies.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { parseDurations } from '../../src/modules/webhooks/webhooks.config.js';
import { withJitter } from '../../src/modules/webhooks/deliver-webhook.js';
import { sendWebhook } from '../../src/modules/webhooks/send-webhook.js';
import { generateWebhookSecret, signatureHeaders } from '../../src/modules/webhooks/webhook-signature.js';

const hits: string[] = [];
let base: string;
const server = http.createServer((req, res) => {
  hits.push(req.url ?? '');
  req.resume();
  if (req.url === '/redirect') return void res.writeHead(302, { Location: `${base}/target` }).end();
  if (req.url === '/huge') {
    res.writeHead(200);
    const chunk = 'x'.repeat(64 * 1024);
    const write = () => {
      while (res.write(chunk));
      res.once('drain', write);
    };
    return write(); // never ends
  }
  if (req.url === '/silent') return; // never answers
  res.writeHead(204).end();
});
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const send = (path: string, opts: { timeoutMs?: number; allowPrivate?: boolean } = {}) =>
  sendWebhook({
    url: `${base}${path}`,
    body: '{}',
    headers: {},
    timeoutMs: opts.timeoutMs ?? 2000,
    allowPrivate: opts.allowPrivate ?? true,
  });

describe('sendWebhook', () => {
  it('succeeds on 2xx', async () => {
    expect(await send('/ok')).toMatchObject({ statusCode: 204 });
  });

  it('reuses a kept-alive connection, and sends again on a new one when the receiver had closed it', async () => {
    // A raw receiver: answers the first request on a connection with keep-alive, then drops that
    // connection when a second request arrives on it, unanswered — the race a pooled connection can lose.
    const seen: { connection: number; request: number }[] = [];
    let connections = 0;
    const raw = net.createServer((socket) => {
      const connection = ++connections;
      let requests = 0;
      let buffered = '';
      socket.on('data', (d) => {
        buffered += d.toString();
        while (buffered.includes('\r\n\r\n{}')) {
          buffered = buffered.slice(buffered.indexOf('\r\n\r\n{}') + 6);
          requests++;
          seen.push({ connection, request: requests });
          if (requests === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
          else socket.destroy();
        }
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(raw.address() as AddressInfo).port}/hook`;
    try {
      const one = () => sendWebhook({ url, body: '{}', headers: {}, timeoutMs: 2000, allowPrivate: true });
      expect(await one()).toMatchObject({ statusCode: 200 });
      expect(await one()).toMatchObject({ statusCode: 200 }); // the pooled connection was dropped: sent again, fresh
      expect(seen).toEqual([
        { connection: 1, request: 1 },
        { connection: 1, request: 2 },
        { connection: 2, request: 1 },
      ]);
    } finally {
      raw.close();
    }
  });

  it('does not follow redirects', async () => {
    const r = await send('/redirect');
    expect(r.statusCode).toBe(302);
    expect(hits).not.toContain('/target');
  });

  it('stops reading an endless answer and keeps its status', async () => {
    const r = await send('/huge', { timeoutMs: 5000 });
    expect(r.statusCode).toBe(200);
    expect(r.responseExcerpt?.length).toBe(4096);
  });

  it('gives up at the deadline when no answer comes', async () => {
    const r = await send('/silent', { timeoutMs: 300 });
    expect(r.statusCode).toBeUndefined();
    expect(r.error).toBe('Timed out after 300 ms');
  });

  it('refuses loopback without WEBHOOK_ALLOW_PRIVATE_URLS, before connecting', async () => {
    const before = hits.length;
    const r = await send('/ok', { allowPrivate: false });
    expect(r.statusCode).toBeUndefined();
    expect(r.error).toMatch(/^Refused: /);
    const byName = await sendWebhook({
      url: `${base.replace('127.0.0.1', 'localhost.')}/ok`,
      body: '{}',
      headers: {},
      timeoutMs: 2000,
      allowPrivate: false,
    });
    expect(byName.error).toMatch(/^Refused: /);
    expect(hits.length).toBe(before);
  });

  it('reports a refused connection', async () => {
    const r = await sendWebhook({ url: 'http://127.0.0.1:9/', body: '{}', headers: {}, timeoutMs: 2000, allowPrivate: true });
    expect(r.error).toMatch(/ECONNREFUSED/);
  });
});

describe('signatures', () => {
  it('verify with standardwebhooks, one signature per secret', () => {
    const [a, b] = [generateWebhookSecret(), generateWebhookSecret()];
    const body = JSON.stringify({ id: 'evt_1', type: 'webhook.test', created_at: new Date().toISOString(), data: { é: '✓' } });
    const headers = signatureHeaders([a, b], 'evt_1', body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(a).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(b).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow();
  });
});

describe('retry schedule', () => {
  it('parses durations and jitters by at most 10 %', () => {
    expect(parseDurations('5s,5m,30m,2h,5h,10h,24h')).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 86_400_000]);
    expect(parseDurations('100ms, 250')).toEqual([100, 250]);
    expect(parseDurations('5 minutes')).toBeNull();
    expect(withJitter(1000, 0)).toBe(900);
    expect(withJitter(1000, 1)).toBe(1100);
  });
});

describe('webhook settings', () => {
  it('reads retention and concurrency, and names the variable of a bad value', () => {
    expect(loadConfig({}).webhooks).toMatchObject({
      retentionMs: 30 * 86_400_000,
      pruneIntervalMs: 3_600_000,
      dispatchConcurrency: 16,
      deliveryConcurrency: 32,
    });
    expect(loadConfig({ WEBHOOK_RETENTION: '0' }).webhooks.retentionMs).toBe(0); // keep everything
    expect(loadConfig({ WEBHOOK_RETENTION: '7d' }).webhooks.retentionMs).toBe(7 * 86_400_000);
    for (const bad of ['forever', '1d,2d', '-1d']) expect(() => loadConfig({ WEBHOOK_RETENTION: bad })).toThrow(/WEBHOOK_RETENTION/);
    for (const bad of ['0', '1001', 'many'])
      expect(() => loadConfig({ WEBHOOK_DISPATCH_CONCURRENCY: bad })).toThrow(/WEBHOOK_DISPATCH_CONCURRENCY/);
  });
});
