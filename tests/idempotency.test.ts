// Idempotency-Key (docs/api.md) through both doors: replays, another request under a used key (422),
// a duplicate while the first runs (409), concurrent duplicates creating one resource, per-account
// keys, key limits, stored 4xx answers, multipart uploads, GraphQL mutations, and expiry by the prune job.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateConversationDocument, GetAccountDocument } from '../sdk/index.js';
import { claimIdempotencyKey, pruneIdempotencyKeys, requestFingerprint } from '../src/modules/idempotency/idempotency-keys.js';
import { pruneWebhookHistoryHandler } from '../src/modules/webhooks/prune-history.js';
import { PNG_1x1 } from './helpers/files.js';
import { newAccount, readResponse, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

const CHAT = 'Anna: shall we ship on Friday?\nTom: yes, after the review.';
const key = () => `key-${Math.random().toString(36).slice(2)}-${Date.now()}`;
const withKey = (k: string) => ({ 'Idempotency-Key': k });

async function conversationCount(accountId: string): Promise<number> {
  const [row] = await server.running.app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM conversations WHERE account_id = $1`, [
    accountId,
  ]);
  return row.n;
}

async function keyRows(accountId: string) {
  return server.running.app.db.query<{ key: string; status: string }>(
    `SELECT key, status FROM idempotency_keys WHERE account_id = $1 ORDER BY key`,
    [accountId],
  );
}

describe('Idempotency-Key on REST POSTs', () => {
  it('replays the first answer to a retry of the same request, marked as a replay', async () => {
    const { client, account } = await newAccount(server);
    const k = key();
    const first = await client.post('/v1/conversations', { title: 'Standup', content: CHAT, metadata: { a: 1, b: 2 } }, withKey(k));
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    // Same body, other key order and spacing: the same request.
    const retry = await client.request(
      'POST',
      '/v1/conversations',
      `{ "metadata": {"b":2,"a":1}, "content": ${JSON.stringify(CHAT)}, "title": "Standup" }`,
      {
        'Content-Type': 'application/json',
        ...withKey(k),
      },
    );
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('content-type')).toMatch(/^application\/json/);
    expect(retry.body).toEqual(first.body);
    expect(await conversationCount(account.id)).toBe(1);
    // Without a key, the same body is a new conversation.
    expect((await client.post('/v1/conversations', { title: 'Standup', content: CHAT })).status).toBe(201);
    expect(await conversationCount(account.id)).toBe(2);
  });

  it('refuses the same key with a different body or path (422) and keeps the first answer', async () => {
    const { client, account } = await newAccount(server);
    const k = key();
    const first = await client.post('/v1/conversations', { title: 'One', content: CHAT }, withKey(k));
    expect(first.status).toBe(201);
    const otherBody = await client.post('/v1/conversations', { title: 'Two', content: CHAT }, withKey(k));
    expect(otherBody.status).toBe(422);
    expect(otherBody.body.error.code).toBe('validation_error');
    expect(otherBody.body.error.details.fields.idempotency_key[0]).toMatch(/different/);
    const otherPath = await client.post('/v1/webhooks', { url: 'https://example.com/hook', events: ['conversation.created'] }, withKey(k));
    expect(otherPath.status).toBe(422);
    expect(await conversationCount(account.id)).toBe(1);
    const again = await client.post('/v1/conversations', { title: 'One', content: CHAT }, withKey(k));
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
  });

  it('answers 409 to a duplicate while the first request with the key is still running', async () => {
    const { client, account } = await newAccount(server);
    const k = key();
    const body = { title: 'In flight', content: CHAT };
    // The first request's claim, as it stands while that request runs.
    await claimIdempotencyKey(server.running.app, account.id, k, requestFingerprint('POST', '/v1/conversations', body));
    const dup = await client.post('/v1/conversations', body, withKey(k));
    expect(dup.status).toBe(409);
    expect(dup.body.error).toEqual(expect.objectContaining({ code: 'conflict', message: expect.stringMatching(/still being processed/) }));
    expect(dup.headers.get('retry-after')).toBe('1');
    expect(await conversationCount(account.id)).toBe(0);
  });

  it('runs concurrent duplicates once: one 201, the others a replay or a 409', async () => {
    const { client, account } = await newAccount(server);
    const k = key();
    const body = { title: 'Race', content: CHAT };
    const answers = await Promise.all(Array.from({ length: 6 }, () => client.post('/v1/conversations', body, withKey(k))));
    const fresh = answers.filter((a) => a.status === 201 && a.headers.get('idempotent-replayed') === null);
    expect(fresh).toHaveLength(1);
    for (const a of answers) {
      expect([201, 409]).toContain(a.status);
      if (a.status === 201) expect(a.body.id).toBe(fresh[0].body.id);
      else expect(a.body.error.code).toBe('conflict');
    }
    expect(await conversationCount(account.id)).toBe(1);
    const later = await client.post('/v1/conversations', body, withKey(k));
    expect(later.headers.get('idempotent-replayed')).toBe('true');
    expect(later.body.id).toBe(fresh[0].body.id);
  });

  it('keeps keys per account', async () => {
    const a = await newAccount(server);
    const b = await newAccount(server);
    const k = key();
    const body = { title: 'Shared key', content: CHAT };
    const fromA = await a.client.post('/v1/conversations', body, withKey(k));
    const fromB = await b.client.post('/v1/conversations', body, withKey(k));
    expect([fromA.status, fromB.status]).toEqual([201, 201]);
    expect(fromB.headers.get('idempotent-replayed')).toBeNull();
    expect(fromB.body.id).not.toBe(fromA.body.id);
    // B's key with another body is B's own business: A's answer is never shown to B.
    expect((await b.client.get(`/v1/conversations/${fromA.body.id}`)).status).toBe(404);
  });

  it('refuses a malformed key with a 422 and runs nothing', async () => {
    const { client, account } = await newAccount(server);
    for (const bad of ['', 'x'.repeat(256), 'clé']) {
      const res = await client.post('/v1/conversations', { title: 'Bad key', content: CHAT }, withKey(bad));
      expect(res.status, JSON.stringify(bad)).toBe(422);
      expect(res.body.error.details.fields.idempotency_key).toBeDefined();
    }
    expect((await client.post('/v1/conversations', { title: 'Longest key', content: CHAT }, withKey('~'.repeat(255)))).status).toBe(201);
    expect(await conversationCount(account.id)).toBe(1);
  });

  it('stores a 4xx answer too (the same request fails the same way), on the other POST routes as well', async () => {
    const { client, account } = await newAccount(server);
    const k = key();
    const invalid = await client.post('/v1/conversations', { title: '' }, withKey(k));
    expect(invalid.status).toBe(422);
    const retry = await client.post('/v1/conversations', { title: '' }, withKey(k));
    expect(retry.status).toBe(422);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(invalid.body);

    const conv = (await client.post('/v1/conversations', { title: 'Summaries', content: CHAT })).body;
    const sk = key();
    const regen = await client.post(`/v1/conversations/${conv.id}/summaries`, {}, withKey(sk));
    const regenAgain = await client.post(`/v1/conversations/${conv.id}/summaries`, {}, withKey(sk));
    expect(regenAgain.status).toBe(regen.status);
    expect(regenAgain.headers.get('idempotent-replayed')).toBe('true');
    expect(regenAgain.body).toEqual(regen.body);

    const kk = key();
    const apiKey = await client.post('/v1/api_keys', { name: 'ci' }, withKey(kk));
    expect(apiKey.status).toBe(201);
    const apiKeyAgain = await client.post('/v1/api_keys', { name: 'ci' }, withKey(kk));
    expect(apiKeyAgain.body.id).toBe(apiKey.body.id);
    const keys = await server.running.app.db.query(`SELECT id FROM api_keys WHERE account_id = $1 AND name = 'ci'`, [account.id]);
    expect(keys).toHaveLength(1);
  });

  it('replays a multipart attachment upload', async () => {
    const { client, api_key } = await newAccount(server);
    const conv = (await client.post('/v1/conversations', { title: 'With a file', content: CHAT })).body;
    const k = key();
    const upload = async () => {
      const form = new FormData();
      form.append('file', new Blob([PNG_1x1], { type: 'image/png' }), 'dot.png');
      return readResponse(
        await fetch(`${server.url}/v1/conversations/${conv.id}/attachments`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${api_key}`, ...withKey(k) },
          body: form,
        }),
      );
    };
    const first = await upload();
    expect(first.status).toBe(201);
    const second = await upload();
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body.id).toBe(first.body.id);
    const list = await client.get(`/v1/conversations/${conv.id}/attachments`);
    expect(list.body.data).toHaveLength(1);
  });
});

describe('Idempotency-Key on GraphQL mutations', () => {
  const gql = (apiKey: string, query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    }).then((r) => readResponse(r));

  it('replays a mutation, refuses other variables under the key, and runs concurrent duplicates once', async () => {
    const { api_key, account } = await newAccount(server);
    const query = CreateConversationDocument.toString();
    const k = key();
    const first = await gql(api_key, query, { title: 'GraphQL', content: CHAT }, withKey(k));
    expect(first.status).toBe(200);
    expect(first.body.data.createConversation.id).toMatch(/^conv_/);
    const retry = await gql(api_key, query, { title: 'GraphQL', content: CHAT }, withKey(k));
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    const other = await gql(api_key, query, { title: 'Other', content: CHAT }, withKey(k));
    expect(other.status).toBe(422);
    expect(other.body.errors[0].extensions.code).toBe('validation_error');
    expect(await conversationCount(account.id)).toBe(1);

    const k2 = key();
    const race = await Promise.all(Array.from({ length: 4 }, () => gql(api_key, query, { title: 'Race', content: CHAT }, withKey(k2))));
    const ids = new Set(race.filter((r) => r.body.data?.createConversation).map((r) => r.body.data.createConversation.id));
    expect(ids.size).toBe(1);
    for (const r of race) if (!r.body.data?.createConversation) expect(r.body.errors[0].extensions.code).toBe('conflict');
    expect(await conversationCount(account.id)).toBe(2);
  });

  it('ignores the header on queries', async () => {
    const { api_key, account } = await newAccount(server);
    const k = key();
    const a = await gql(api_key, GetAccountDocument.toString(), {}, withKey(k));
    const b = await gql(api_key, GetAccountDocument.toString(), {}, withKey(k));
    expect(a.body.data.account).toBeDefined();
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    expect(await keyRows(account.id)).toEqual([]);
  });
});

describe('expiry', () => {
  it('the prune job deletes expired keys; an expired key is free again', async () => {
    const { client, account } = await newAccount(server);
    const old = key();
    const fresh = key();
    const body = { title: 'Old', content: CHAT };
    const first = await client.post('/v1/conversations', body, withKey(old));
    await client.post('/v1/conversations', { title: 'Fresh', content: CHAT }, withKey(fresh));
    const age = (k: string) =>
      server.running.app.db.query(
        `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE account_id = $1 AND key = $2`,
        [account.id, k],
      );

    // Past its 24 h but not pruned yet: the key is free, the request runs again.
    await age(old);
    const rerun = await client.post('/v1/conversations', body, withKey(old));
    expect(rerun.status).toBe(201);
    expect(rerun.headers.get('idempotent-replayed')).toBeNull();
    expect(rerun.body.id).not.toBe(first.body.id);

    await age(old);
    const app = server.running.app;
    await pruneWebhookHistoryHandler.run({ interval: 0 }, { app, log: app.log } as Parameters<typeof pruneWebhookHistoryHandler.run>[1]);
    expect((await keyRows(account.id)).map((r) => r.key)).toEqual([fresh]);
    expect(await pruneIdempotencyKeys(app)).toBeGreaterThanOrEqual(0);
  });
});
