// Search indexing fed by the events outbox: with ELASTICSEARCH_URL set, conversation and summary
// events enqueue `search.sync` jobs on the `search` queue (BullMQ), whose runs reach Elasticsearch as
// externally versioned index/delete requests. No cluster runs here, so ELASTICSEARCH_URL points at a
// small HTTP stand-in that records every request and applies Elasticsearch's external-versioning
// rules (a write whose version is not above the document's, or its tombstone's, gets 409). Without
// ELASTICSEARCH_URL no search job is enqueued at all.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisOptionsFromUrl } from '../src/lib/redis.js';
import { searchSyncJob } from '../src/modules/search/search.jobs.js';
import { bullEnv, dropPrefix, eventually, REDIS_BASE, uniquePrefix, useBullServer } from './helpers/jobs.js';
import { newAccount, startTestServer, type Client, type TestServer } from './helpers/server.js';

const REDIS_DB = 7;
const INDEX = 'convs-test';
const WAIT = 30_000;

interface EsRequest {
  method: string;
  path: string;
  id?: string;
  version?: number;
  versionType?: string;
  status: number;
  body: any;
}

/** Answers the calls ElasticsearchIndexer makes (alias check, index, get, delete, bulk) like Elasticsearch 8/9. */
async function startElasticsearchStandIn() {
  const requests: EsRequest[] = [];
  /** Live documents and tombstones (deleted: true), by id, with their external version. */
  const docs = new Map<string, { version: number; deleted: boolean; source: any }>();

  /** One versioned write; returns the HTTP status Elasticsearch would. */
  const write = (
    id: string,
    op: 'index' | 'delete',
    version: number | undefined,
    versionType: string | undefined,
    source?: any,
  ): number => {
    const cur = docs.get(id);
    // Deleting what is not there without a version changes nothing.
    if (op === 'delete' && (!cur || cur.deleted) && version === undefined) return 404;
    if (version !== undefined && versionType) {
      const ok = versionType === 'external_gte' ? !cur || version >= cur.version : !cur || version > cur.version;
      if (!ok) return 409;
    }
    const next = version ?? (cur ? cur.version + 1 : 1);
    if (op === 'delete') {
      docs.set(id, { version: next, deleted: true, source: null });
      return cur && !cur.deleted ? 200 : 404;
    }
    docs.set(id, { version: next, deleted: false, source });
    return cur && !cur.deleted ? 200 : 201;
  };

  const server = http.createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const url = new URL(req.url ?? '/', 'http://x');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const version = url.searchParams.get('version');
    const rec: EsRequest = {
      method: req.method ?? '',
      path: url.pathname,
      version: version ? Number(version) : undefined,
      versionType: url.searchParams.get('version_type') ?? undefined,
      status: 200,
      body: undefined,
    };
    const reply = (status: number, payload?: unknown) => {
      rec.status = status;
      requests.push(rec);
      res.writeHead(status, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
      res.end(payload === undefined || req.method === 'HEAD' ? undefined : JSON.stringify(payload));
    };
    const conflict = () => reply(409, { error: { type: 'version_conflict_engine_exception', reason: 'version conflict' }, status: 409 });
    try {
      if (req.method === 'HEAD' && parts[0] === '_alias') return reply(200);
      if (parts[0] === '_bulk' || parts[1] === '_bulk') {
        const lines = raw
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l));
        rec.body = lines;
        const items = [];
        for (let i = 0; i < lines.length; i += 2) {
          const { _id, version: v, version_type } = lines[i].index;
          const status = write(_id, 'index', v, version_type, lines[i + 1]);
          items.push({ index: { _id, status, ...(status === 409 ? { error: { type: 'version_conflict_engine_exception' } } : {}) } });
        }
        return reply(200, { errors: items.some((i) => i.index.status >= 300), items });
      }
      if (parts[1] === '_doc' && parts[2]) {
        const id = parts[2];
        rec.id = id;
        if (req.method === 'GET') {
          const d = docs.get(id);
          return d && !d.deleted
            ? reply(200, { _index: INDEX, _id: id, _version: d.version, found: true, _source: d.source })
            : reply(404, { _index: INDEX, _id: id, found: false });
        }
        if (req.method === 'PUT' || req.method === 'POST') {
          rec.body = JSON.parse(raw);
          const status = write(id, 'index', rec.version, rec.versionType, rec.body);
          if (status === 409) return conflict();
          return reply(status, { _index: INDEX, _id: id, _version: docs.get(id)!.version, result: status === 201 ? 'created' : 'updated' });
        }
        if (req.method === 'DELETE') {
          const status = write(id, 'delete', rec.version, rec.versionType);
          if (status === 409) return conflict();
          return reply(status, {
            _index: INDEX,
            _id: id,
            _version: docs.get(id)!.version,
            result: status === 404 ? 'not_found' : 'deleted',
          });
        }
      }
      return reply(400, {
        error: { type: 'illegal_argument_exception', reason: `stand-in does not answer ${req.method} ${url.pathname}` },
        status: 400,
      });
    } catch (e) {
      return reply(500, { error: { type: 'stand_in_error', reason: String(e) }, status: 500 });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    docs,
    /** Index and delete requests for one document, in arrival order. */
    writesFor: (id: string) => requests.filter((r) => r.id === id && (r.method === 'PUT' || r.method === 'POST' || r.method === 'DELETE')),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type StandIn = Awaited<ReturnType<typeof startElasticsearchStandIn>>;

function searchQueue(prefix: string) {
  return new Queue('search', { connection: redisOptionsFromUrl(`${REDIS_BASE}/${REDIS_DB}`), prefix });
}

async function searchVersion(server: TestServer, id: string): Promise<number | null> {
  const rows = await server.running.app.db.query<{ search_version: number }>('SELECT search_version FROM conversations WHERE id = $1', [
    id,
  ]);
  return rows[0]?.search_version ?? null;
}

/** The row's version and the version the index is known to hold (`search_indexed_version`). */
async function indexState(server: TestServer, id: string) {
  const rows = await server.running.app.db.query<{ search_version: number; search_indexed_version: number | null }>(
    'SELECT search_version, search_indexed_version FROM conversations WHERE id = $1',
    [id],
  );
  return rows[0] ?? null;
}

async function settledConversation(c: Client, id: string) {
  return (
    await eventually(
      () => c.get(`/v1/conversations/${id}`),
      (r) => r.body?.status !== 'processing',
      WAIT,
    )
  ).body;
}

/** Accepted writes (2xx, and a 404 delete, which Elasticsearch also records) must carry strictly increasing versions. */
function expectIncreasingAccepted(writes: EsRequest[]) {
  const accepted = writes.filter((w) => w.status !== 409).map((w) => w.version!);
  for (let i = 1; i < accepted.length; i++) expect(accepted[i], JSON.stringify(writes)).toBeGreaterThan(accepted[i - 1]);
  return accepted;
}

describe('search indexing on Elasticsearch (fed by the outbox, through the search queue)', () => {
  let es: StandIn;
  // Registered before the server's hooks: the stand-in is up before the server starts and closes after it stopped.
  beforeAll(async () => {
    es = await startElasticsearchStandIn();
  });
  afterAll(async () => {
    await es?.close();
  });
  const server = useBullServer(REDIS_DB, 'search_es', () => ({ ELASTICSEARCH_URL: es.url, ELASTICSEARCH_INDEX: INDEX }));

  it('create, update and delete over HTTP reach the index as versioned writes; an older job is a no-op', async () => {
    const { account, client } = await newAccount(server);
    const created = await client.post('/v1/conversations', {
      title: 'Alpha launch',
      content: 'Tom: When is the alpha launch?\nAnna: Next Tuesday.',
    });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id as string;

    // Created, then its summary completed (another searchable change): the document ends at the row's version.
    await settledConversation(client, id);
    const afterCreate = await eventually(
      async () => ({ row: await searchVersion(server, id), doc: es.docs.get(id) }),
      (s) => !!s.doc && !s.doc.deleted && s.doc.version === s.row,
      WAIT,
    );
    expect(afterCreate.doc).toMatchObject({ deleted: false, source: { id, account_id: account.id, title: 'Alpha launch' } });
    const first = es.writesFor(id);
    expect(first.length).toBeGreaterThan(0);
    for (const w of first) expect(w).toMatchObject({ method: 'PUT', versionType: 'external' });

    // An update: a newer version with the new words.
    const patched = await client.patch(`/v1/conversations/${id}`, { title: 'Beta launch' });
    expect(patched.status, patched.text).toBe(200);
    const afterUpdate = await eventually(
      async () => ({ row: await searchVersion(server, id), doc: es.docs.get(id) }),
      (s) => s.doc?.source?.title === 'Beta launch' && s.doc.version === s.row,
      WAIT,
    );
    expect(afterUpdate.doc!.version).toBeGreaterThan(afterCreate.doc!.version);
    const lastVersion = afterUpdate.row!;

    // A delete: removed with one past the last version the row had, so any late write of an older state loses.
    expect((await client.delete(`/v1/conversations/${id}`)).status).toBe(200);
    await eventually(
      async () => es.docs.get(id),
      (d) => !!d?.deleted,
      WAIT,
    );
    const writes = es.writesFor(id);
    const del = writes.filter((w) => w.method === 'DELETE');
    expect(del).toHaveLength(1);
    expect(del[0]).toMatchObject({ status: 200, version: lastVersion + 1, versionType: 'external' });
    const accepted = expectIncreasingAccepted(writes);
    expect(accepted.at(-1)).toBe(lastVersion + 1);
    // Every write went to the alias, routed by account.
    for (const w of writes) expect(w.path).toBe(`/${INDEX}/_doc/${encodeURIComponent(id)}`);

    // The jobs went through the `search` queue.
    const queue = searchQueue(server.prefix);
    try {
      const counts = await queue.getJobCounts('completed', 'failed');
      expect(counts.completed).toBeGreaterThanOrEqual(3);
      expect(counts.failed).toBe(0);
    } finally {
      await queue.close();
    }

    // Out-of-order older jobs (as a late retry would run them) change nothing: the document stays deleted.
    const handler = await searchSyncJob.handler();
    const ctx = { app: server.running.app, log: server.running.app.log, jobId: 'stale', attempt: 1, maxAttempts: 1 };
    const before = es.writesFor(id).length;
    await handler.run({ accountId: account.id, conversationId: id, version: 1, deleted: false }, ctx);
    await handler.run({ accountId: account.id, conversationId: id, version: 1, deleted: true }, ctx);
    expect(es.docs.get(id)).toMatchObject({ deleted: true, version: lastVersion + 1 });
    expect(
      es
        .writesFor(id)
        .slice(before)
        .map((w) => w.status),
    ).toEqual([404, 409]);
  });

  it('an older job for a live conversation cannot overwrite the newer document', async () => {
    const { account, client } = await newAccount(server);
    const id = (await client.post('/v1/conversations', { title: 'Gamma', content: 'Tom: Hi.\nAnna: Hello.' })).body.id as string;
    await settledConversation(client, id);
    await client.patch(`/v1/conversations/${id}`, { title: 'Delta' });
    const settled = await eventually(
      async () => ({ row: await searchVersion(server, id), doc: es.docs.get(id) }),
      (s) => s.doc?.source?.title === 'Delta' && s.doc.version === s.row,
      WAIT,
    );
    const handler = await searchSyncJob.handler();
    const before = es.writesFor(id).length;
    await handler.run(
      { accountId: account.id, conversationId: id, version: 1, deleted: false },
      { app: server.running.app, log: server.running.app.log, jobId: 'stale', attempt: 1, maxAttempts: 1 },
    );
    // The job re-sends the row's current version, which the index already holds: 409, treated as done.
    expect(
      es
        .writesFor(id)
        .slice(before)
        .map((w) => [w.version, w.status]),
    ).toEqual([[settled.row, 409]]);
    expect(es.docs.get(id)).toEqual(settled.doc);
    expectIncreasingAccepted(es.writesFor(id));
  });
});

describe('search index recovery on Elasticsearch (jobs lost with Redis)', () => {
  it('a synced document records its version; a conflict records it too, and it is never lowered', async () => {
    const es = await startElasticsearchStandIn();
    const prefix = uniquePrefix('search_mark');
    const server = await startTestServer(bullEnv(REDIS_DB, prefix, { ELASTICSEARCH_URL: es.url, ELASTICSEARCH_INDEX: INDEX }));
    try {
      const { account, client } = await newAccount(server);
      const id = (await client.post('/v1/conversations', { title: 'Iota', content: 'Tom: Hi.\nAnna: Hello.' })).body.id as string;
      await settledConversation(client, id);
      const synced = await eventually(
        async () => ({ row: await indexState(server, id), doc: es.docs.get(id) }),
        (s) => !!s.doc && s.doc.version === s.row?.search_version && s.row.search_indexed_version === s.row.search_version,
        WAIT,
      );
      const version = synced.row!.search_version;
      expect(synced.doc).toMatchObject({ deleted: false, version });
      expect(synced.row).toEqual({ search_version: version, search_indexed_version: version });

      const db = server.running.app.db;
      const handler = await searchSyncJob.handler();
      const ctx = { app: server.running.app, log: server.running.app.log, jobId: 'again', attempt: 1, maxAttempts: 1 };
      // The index already holds this version (the job that wrote it was lost before recording it): 409, recorded.
      await db.query('UPDATE conversations SET search_indexed_version = 0 WHERE id = $1', [id]);
      let before = es.writesFor(id).length;
      await handler.run({ accountId: account.id, conversationId: id, version, deleted: false }, ctx);
      expect(
        es
          .writesFor(id)
          .slice(before)
          .map((w) => [w.version, w.status]),
      ).toEqual([[version, 409]]);
      expect(await indexState(server, id)).toEqual({ search_version: version, search_indexed_version: version });
      // Only ever raised: a higher recorded version stays.
      await db.query('UPDATE conversations SET search_indexed_version = $2 WHERE id = $1', [id, version + 5]);
      before = es.writesFor(id).length;
      await handler.run({ accountId: account.id, conversationId: id, version, deleted: false }, ctx);
      expect(
        es
          .writesFor(id)
          .slice(before)
          .map((w) => w.status),
      ).toEqual([409]);
      expect((await indexState(server, id))!.search_indexed_version).toBe(version + 5);
      // Recording touches neither the row's version nor what the API shows.
      expect((await indexState(server, id))!.search_version).toBe(version);
    } finally {
      await server.stop();
      await es.close();
      await dropPrefix(REDIS_DB, prefix);
    }
  }, 90_000);

  it("the recovery sweep re-enqueues a sync whose job Redis lost, and the document reaches the index at the row's version", async () => {
    const es = await startElasticsearchStandIn();
    const esEnv = { ELASTICSEARCH_URL: es.url, ELASTICSEARCH_INDEX: INDEX };
    const lost = uniquePrefix('search_lost');
    const fresh = uniquePrefix('search_fresh');
    // Dispatches the outbox (so the events are marked dispatched and their search.sync jobs enqueued)
    // and runs summaries, but consumes no search job: those wait under `lost`, which is then dropped —
    // as if a Redis without persistence restarted.
    let apiOnly: TestServer | undefined = await startTestServer(
      bullEnv(REDIS_DB, lost, { ...esEnv, WORKER_QUEUES: 'summaries,webhooks,webhook-deliveries' }),
    );
    let worker: TestServer | undefined;
    try {
      const { account, client } = await newAccount(apiOnly);
      const id = (await client.post('/v1/conversations', { title: 'Kappa', content: 'Tom: Is the launch on?\nAnna: Yes, Friday.' })).body
        .id as string;
      await settledConversation(client, id);
      expect((await client.patch(`/v1/conversations/${id}`, { title: 'Renamed while the index was away' })).status).toBe(200);
      const events = await eventually(
        () =>
          apiOnly!.running.app.db.query<{ type: string; dispatched: boolean }>(
            'SELECT type, dispatched_at IS NOT NULL AS dispatched FROM events WHERE account_id = $1',
            [account.id],
          ),
        (rows) => rows.some((r) => r.type === 'conversation.updated') && rows.every((r) => r.dispatched),
        WAIT,
      );
      expect(events.every((r) => r.dispatched)).toBe(true);
      const pending = await indexState(apiOnly, id);
      const queue = searchQueue(lost);
      try {
        const waiting = await queue.getJobs(['waiting', 'prioritized', 'delayed']);
        expect(waiting.map((j) => j.id)).toContain(`search.${id}.${pending!.search_version}`);
      } finally {
        await queue.close();
      }
      expect(es.writesFor(id)).toHaveLength(0);
      expect(pending!.search_indexed_version).toBe(0);
      await apiOnly.stop();
      apiOnly = undefined;
      await dropPrefix(REDIS_DB, lost);

      worker = await startTestServer(bullEnv(REDIS_DB, fresh, { ...esEnv, WORKER_QUEUES: 'search', JOB_RECOVERY_INTERVAL_MS: '300' }));
      const recovered = await eventually(
        async () => ({ row: await indexState(worker!, id), doc: es.docs.get(id) }),
        (s) => s.doc?.version === s.row?.search_version && s.row?.search_indexed_version === s.row?.search_version,
        WAIT,
      );
      expect(recovered.row).toEqual({ search_version: pending!.search_version, search_indexed_version: pending!.search_version });
      expect(recovered.doc).toMatchObject({
        deleted: false,
        version: pending!.search_version,
        source: { id, account_id: account.id, title: 'Renamed while the index was away' },
      });
      const writes = es.writesFor(id);
      for (const w of writes) expect(w).toMatchObject({ method: 'PUT', versionType: 'external', version: pending!.search_version });
      expect(writes[0].status).toBe(201);
      // Through the new prefix's search queue, under the change's deterministic job id.
      const freshQueue = searchQueue(fresh);
      try {
        const job = await freshQueue.getJob(`search.${id}.${pending!.search_version}`);
        expect(job?.data).toEqual({ accountId: account.id, conversationId: id, version: pending!.search_version, deleted: false });
      } finally {
        await freshQueue.close();
      }
      // Synced rows leave the sweep.
      const again = await searchSyncJob.recover!(worker.running.app, 0);
      expect(again.map((p) => p.conversationId)).not.toContain(id);
    } finally {
      await apiOnly?.stop();
      await worker?.stop();
      await es.close();
      await dropPrefix(REDIS_DB, lost);
      await dropPrefix(REDIS_DB, fresh);
    }
  }, 120_000);
});

describe('search indexing on PostgreSQL (no ELASTICSEARCH_URL)', () => {
  const server = useBullServer(REDIS_DB, 'search_pg');

  it('enqueues no search jobs: the triggers keep the index fresh', async () => {
    expect(server.running.app.config.search?.elasticsearch).toBeUndefined();
    const { account, client } = await newAccount(server);
    const id = (await client.post('/v1/conversations', { title: 'Epsilon', content: 'Tom: Hi.\nAnna: Hello.' })).body.id as string;
    await settledConversation(client, id);
    await client.patch(`/v1/conversations/${id}`, { title: 'Zeta' });
    expect((await client.delete(`/v1/conversations/${id}`)).status).toBe(200);
    // Every event of the account (created, summary.generated, updated ×2, deleted) has been dispatched.
    const events = await eventually(
      () =>
        server.running.app.db.query<{ type: string; dispatched: boolean }>(
          'SELECT type, dispatched_at IS NOT NULL AS dispatched FROM events WHERE account_id = $1',
          [account.id],
        ),
      (rows) => rows.some((r) => r.type === 'conversation.deleted') && rows.every((r) => r.dispatched),
      WAIT,
    );
    expect(events.every((r) => r.dispatched)).toBe(true);
    expect(events.map((r) => r.type)).toEqual(
      expect.arrayContaining(['conversation.created', 'summary.generated', 'conversation.updated', 'conversation.deleted']),
    );
    const queue = searchQueue(server.prefix);
    try {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized', 'waiting-children');
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
    } finally {
      await queue.close();
    }
  });

  it('records no indexed version and recovers nothing, though every row lags', async () => {
    const { client } = await newAccount(server);
    const id = (await client.post('/v1/conversations', { title: 'Theta', content: 'Tom: Hi.\nAnna: Hello.' })).body.id as string;
    await settledConversation(client, id);
    await client.patch(`/v1/conversations/${id}`, { title: 'Lambda' });
    const state = await indexState(server, id);
    expect(state!.search_version).toBeGreaterThan(1);
    expect(state!.search_indexed_version).toBe(0);
    expect(await searchSyncJob.recover!(server.running.app, 0)).toEqual([]);
  });
});
