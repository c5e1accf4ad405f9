// GraphQL subscriptions over SSE and WebSocket (graphql-ws), across two server instances sharing
// Redis: authenticated, account-scoped, and fed by the summary pipeline and the export jobs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client as WsClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { enqueueAfterCommit } from '../src/jobs/runner.js';
import { newId } from '../src/lib/ids.js';
import { generateExportJob } from '../src/modules/exports/exports.jobs.js';
import { bullEnv, dropPrefix, eventually, uniquePrefix } from './helpers/jobs.js';
import { newAccount, startTestServer, type Client, type TestServer } from './helpers/server.js';
import { sse, type Stream } from './helpers/sse.js';

const REDIS_DB = 5;
const prefix = uniquePrefix('subs');
let a: TestServer;
let b: TestServer;
let dataDir: string;
beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amc-subs-'));
  // Instance A runs the workers; subscribers connect to instance B.
  a = await startTestServer(bullEnv(REDIS_DB, prefix, { DATA_DIR: dataDir }));
  b = await startTestServer(bullEnv(REDIS_DB, prefix, { RUN_WORKERS: 'false', DATA_DIR: dataDir }));
});
afterAll(async () => {
  await b?.stop();
  await a?.stop();
  await dropPrefix(REDIS_DB, prefix);
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

const CHAT = 'Tom: Can you send the pricing sheet?\nAnna: Sure, I will send it tomorrow.';
const EVENTS = 'subscription { conversationEvents { type conversationId summaryId createdAt conversation { id status } } }';

function ws(baseUrl: string, apiKey: string): WsClient {
  return createClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${apiKey}` },
    retryAttempts: 0,
    lazy: true,
  });
}

function wsStream(client: WsClient, query: string, variables?: Record<string, unknown>): Stream<any> {
  const items: any[] = [];
  let stop = () => {};
  const done = new Promise<void>((resolve) => {
    stop = client.subscribe(
      { query, variables },
      { next: (v) => void items.push(v), error: (e) => (items.push({ error: e }), resolve()), complete: () => resolve() },
    );
  });
  return { items, done, close: () => stop() };
}

/** Subscriptions start asynchronously: create throwaway conversations until the stream shows one. */
async function primed(c: Client, stream: Stream<any>, pick: (item: any) => string | undefined) {
  for (let i = 0; i < 40; i++) {
    const probe = await c.post('/v1/conversations', { title: 'probe', content: CHAT });
    const seen = await eventually(
      async () => stream.items.some((it) => pick(it) === probe.body.id),
      (s) => s,
      500,
    );
    if (seen) return;
  }
  throw new Error('subscription never became active');
}

const eventOf = (item: any) => item?.data?.conversationEvents;

describe('conversationEvents', () => {
  it("streams an account's events over SSE from another instance, and none of another account's", async () => {
    const owner = await newAccount(a);
    const stranger = await newAccount(a);
    const mine = await sse(b.url, owner.api_key, EVENTS);
    const theirs = await sse(b.url, stranger.api_key, EVENTS);
    expect(mine.status).toBe(200);
    try {
      await primed(owner.client, mine, (it) => eventOf(it)?.conversationId);
      await primed(stranger.client, theirs, (it) => eventOf(it)?.conversationId);

      const created = (await owner.client.post('/v1/conversations', { title: 'Pricing', content: CHAT })).body;
      const forIt = () => mine.items.map(eventOf).filter((e) => e?.conversationId === created.id);
      // The summary's events (summary.generated, conversation.updated) are published together but arrive as
      // separate messages: wait for both, not just the first.
      const seen = await eventually(
        async () => forIt(),
        (es) =>
          ['summary.generated', 'conversation.updated'].every((t) => es.some((e) => e.type === t)) &&
          es.some((e) => e.conversation?.status === 'completed'),
      );
      const types = seen.map((e) => e.type);
      expect(types[0]).toBe('conversation.created');
      expect(types).toContain('summary.generated');
      expect(types).toContain('conversation.updated');
      expect(seen.find((e) => e.type === 'summary.generated').summaryId).toMatch(/^summary_/);

      await owner.client.delete(`/v1/conversations/${created.id}`);
      const deleted = await eventually(
        async () => forIt(),
        (es) => es.some((e) => e.type === 'conversation.deleted'),
      );
      expect(deleted.find((e) => e.type === 'conversation.deleted').conversation).toBeNull();

      // The stranger's stream carried only the stranger's own conversations.
      const strangerIds = new Set((await stranger.client.get('/v1/conversations?per_page=100')).body.data.map((c: { id: string }) => c.id));
      expect(theirs.items.length).toBeGreaterThan(0);
      for (const it of theirs.items) expect(strangerIds.has(eventOf(it).conversationId)).toBe(true);
    } finally {
      mine.close();
      theirs.close();
    }
  }, 60_000);

  it('needs an API key', async () => {
    const res = await sse(b.url, undefined, EVENTS);
    await res.done;
    expect(res.status).toBe(401);
  });
});

describe('conversationUpdated over WebSocket', () => {
  it('follows one conversation through an edit and its summary, and ends when it is deleted', async () => {
    const owner = await newAccount(a);
    const created = (await owner.client.post('/v1/conversations', { title: 'Pricing', content: CHAT })).body;
    await eventually(
      () => owner.client.get(`/v1/conversations/${created.id}`),
      (r) => r.body.status === 'completed',
    );
    const client = ws(b.url, owner.api_key);
    const updates = wsStream(client, 'subscription($id: ID!) { conversationUpdated(id: $id) { id title status summary { content } } }', {
      id: created.id,
    });
    try {
      // Prime with title edits until one shows up in the stream.
      for (let i = 0; ; i++) {
        await owner.client.patch(`/v1/conversations/${created.id}`, { title: `Pricing ${i}` });
        const seen = await eventually(
          async () => updates.items.length,
          (n) => n > 0,
          500,
        );
        if (seen) break;
        if (i > 40) throw new Error('subscription never became active');
      }
      await owner.client.patch(`/v1/conversations/${created.id}`, {
        content: 'Maria: The Lisbon shipment is late.\nJoao: I will call the carrier.',
      });
      const states = await eventually(
        async () => updates.items.map((it) => it.data?.conversationUpdated),
        (s) => s.some((c) => c?.status === 'completed' && /Maria|Joao/.test(c.summary?.content ?? '')),
      );
      expect(states.some((c) => c.status === 'processing')).toBe(true);
      expect(states.every((c) => c.id === created.id)).toBe(true);

      await owner.client.delete(`/v1/conversations/${created.id}`);
      await updates.done; // the stream completes
    } finally {
      updates.close();
      await client.dispose();
    }
  }, 60_000);

  it("answers not_found for another account's conversation", async () => {
    const owner = await newAccount(a);
    const stranger = await newAccount(a);
    const created = (await owner.client.post('/v1/conversations', { title: 'Pricing', content: CHAT })).body;
    const client = ws(b.url, stranger.api_key);
    const s = wsStream(client, 'subscription($id: ID!) { conversationUpdated(id: $id) { id } }', { id: created.id });
    await s.done;
    await client.dispose();
    const error = s.items[0]?.errors?.[0] ?? s.items[0]?.error?.[0];
    expect(error?.extensions?.code).toBe('not_found');
  });

  it('refuses a connection without a valid key (4403)', async () => {
    const closed = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`${b.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
      socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: 'Bearer amc_nope' } })));
      socket.on('close', (code) => resolve(code));
    });
    expect(closed).toBe(4403);
  });
});

describe('exportUpdated over SSE', () => {
  const EXPORT_UPDATED =
    'subscription($id: ID!) { exportUpdated(id: $id) { id status format conversationCount sizeMb downloadUrl error } }';

  it('sends the export when it completes (worker on another instance), then ends', async () => {
    const owner = await newAccount(a);
    await owner.client.post('/v1/conversations', { title: 'Pricing', content: CHAT });
    // A processing export whose job is enqueued only once the subscription is open, so the completion
    // reaches it as an event rather than by the first read.
    const id = newId('export');
    await a.running.app.db.prisma.export.create({
      data: {
        id,
        accountId: owner.account.id,
        status: 'processing',
        format: 'csv',
        filters: {},
        includeAttachments: false,
        createdAt: new Date(),
      },
    });
    const s = await sse(b.url, owner.api_key, EXPORT_UPDATED, { id });
    try {
      expect(s.status).toBe(200);
      await sleep(1000);
      expect(s.items).toEqual([]); // nothing while it is processing
      await enqueueAfterCommit(a.running.app, generateExportJob, { exportId: id });
      await Promise.race([s.done, sleep(30_000)]);
      expect(s.items).toHaveLength(1);
      const sent = s.items[0].data.exportUpdated;
      expect(sent).toMatchObject({ id, status: 'completed', format: 'csv', conversationCount: 1, error: null });
      expect(typeof sent.sizeMb).toBe('number');
      expect(sent.downloadUrl).toMatch(/^http/);
      // An export that has already finished: its final state at once, then the end of the stream.
      const late = await sse(b.url, owner.api_key, EXPORT_UPDATED, { id });
      await Promise.race([late.done, sleep(10_000)]);
      expect(late.items.map((it) => it.data.exportUpdated.status)).toEqual(['completed']);
    } finally {
      s.close();
    }
  }, 60_000);

  it('sends a failed export with its reason', async () => {
    const owner = await newAccount(a);
    const id = newId('export');
    await a.running.app.db.prisma.export.create({
      data: {
        id,
        accountId: owner.account.id,
        status: 'processing',
        format: 'json',
        filters: {},
        includeAttachments: false,
        createdAt: new Date(),
      },
    });
    const s = await sse(b.url, owner.api_key, EXPORT_UPDATED, { id });
    await sleep(1000);
    // What the job does after its last failed attempt.
    const { writeExportHandler } = await import('../src/modules/exports/write-export.js');
    await writeExportHandler.failed!({ exportId: id }, 'storage unavailable', { app: a.running.app } as never);
    await Promise.race([s.done, sleep(30_000)]);
    s.close();
    expect(s.items.map((it) => it.data.exportUpdated)).toEqual([
      expect.objectContaining({ id, status: 'failed', error: 'storage unavailable', downloadUrl: null }),
    ]);
  }, 60_000);

  it("answers not_found for another account's export", async () => {
    const owner = await newAccount(a);
    const stranger = await newAccount(a);
    const started = await owner.client.post('/v1/exports', { format: 'csv' });
    expect(started.status, started.text).toBe(202);
    const s = await sse(b.url, stranger.api_key, EXPORT_UPDATED, { id: started.body.id });
    await Promise.race([s.done, sleep(10_000)]);
    s.close();
    expect(s.items).toHaveLength(1);
    expect(s.items[0].data?.exportUpdated ?? null).toBeNull();
    expect(s.items[0].errors?.[0]?.extensions?.code).toBe('not_found');
  });
});
