// Webhooks end to end: endpoints over REST and GraphQL, events from the outbox delivered to a real
// HTTP receiver on loopback, signed per Standard Webhooks and verified with the public
// `standardwebhooks` package; retries with the same webhook-id, 410 and long failure switching an
// endpoint off, test events, the delivery log, secret rotation, tenant isolation.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullEnv, dropPrefix, eventually, uniquePrefix, useBullServer } from './helpers/jobs.js';
import { client, newAccount, startTestServer, type Client, type TestServer } from './helpers/server.js';
import { startReceiver, swHeaders, type Receiver, type Received } from './helpers/webhook-receiver.js';

const REDIS_DB = 6;
let receiver: Receiver;
// Registered before the server's hooks: the receiver is up before the server starts and closes after it stopped.
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
});
const server = useBullServer(REDIS_DB, 'webhooks', {
  WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
  WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,400ms,800ms,1600ms,3200ms',
  WEBHOOK_DISABLE_AFTER_FAILING_MS: '3000',
  WEBHOOK_TIMEOUT_MS: '3000',
  WEBHOOK_DELIVERY_CONCURRENCY: '4',
  WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: '2',
});

const CHAT = 'Tom: Can you send the pricing sheet?\nAnna: Sure, I will send it tomorrow.';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const WAIT = 30_000;

async function createWebhook(c: Client, body: Record<string, unknown>) {
  const res = await c.post('/v1/webhooks', body);
  expect(res.status, res.text).toBe(201);
  return res.body;
}

/** Requests on `path`, one per distinct webhook-id (deliveries are at-least-once). */
const distinct = (rs: Received[]) => [...new Map(rs.map((r) => [r.headers['webhook-id'], r])).values()];

/**
 * Checks a delivered payload against its schema in the OpenAPI document's `webhooks` section (served by
 * the server): null when it matches, and no `data` field that the document does not name.
 */
async function documentedPayloads(): Promise<(payload: any) => string | null> {
  const doc = await (await fetch(`${server.url}/v1/openapi.json`)).json();
  const ajv = new Ajv2020({ strict: false, validateFormats: false });
  const validators = new Map<string, ValidateFunction>();
  return (payload) => {
    const schema = doc.components.schemas[`Event_${String(payload.type).replace(/\./g, '_')}`];
    if (!schema) return `no schema for ${payload.type}`;
    if (!validators.has(payload.type)) validators.set(payload.type, ajv.compile(schema));
    const validate = validators.get(payload.type)!;
    const undocumented = Object.keys(payload.data ?? {}).filter((k) => !(k in schema.properties.data.properties));
    if (!validate(payload)) return `${schema.properties.type.const}: ${ajv.errorsText(validate.errors)}`;
    return undocumented.length ? `${schema.properties.type.const}: undocumented data fields ${undocumented.join(', ')}` : null;
  };
}

async function receivedOn(path: string, done: (rs: Received[]) => boolean) {
  return eventually(async () => receiver.at(path), done, WAIT);
}

describe('webhook endpoints', () => {
  it('creates, lists, reads, updates and deletes; the secret is shown at creation only', async () => {
    const { client } = await newAccount(server);
    const { url } = receiver.endpoint();
    const created = await createWebhook(client, {
      url,
      events: ['conversation.created', 'summary.generated', 'conversation.created'],
      description: 'CRM sync',
    });
    expect(Object.keys(created).sort()).toEqual(
      ['active', 'created_at', 'description', 'disabled_reason', 'events', 'id', 'secret', 'updated_at', 'url'].sort(),
    );
    expect(created).toMatchObject({
      url,
      events: ['conversation.created', 'summary.generated'],
      description: 'CRM sync',
      active: true,
      disabled_reason: null,
    });
    expect(created.id).toMatch(/^webhook_[0-9a-z]{26}$/);
    expect(created.created_at).toMatch(ISO);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(created.secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);

    const list = await client.get('/v1/webhooks');
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    const { secret: _secret, ...withoutSecret } = created;
    expect(list.body.data[0]).toEqual(withoutSecret);
    const one = await client.get(`/v1/webhooks/${created.id}`);
    expect(one.body).toEqual(withoutSecret);

    const patched = await client.patch(`/v1/webhooks/${created.id}`, { events: ['*'], description: null, active: false });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ events: ['*'], description: null, active: false, url });
    expect(patched.body.secret).toBeUndefined();

    const del = await client.delete(`/v1/webhooks/${created.id}`);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ deleted: true, id: created.id });
    expect((await client.get(`/v1/webhooks/${created.id}`)).status).toBe(404);
    expect((await client.delete(`/v1/webhooks/${created.id}`)).status).toBe(404);
    expect((await client.get('/v1/webhooks')).body.data).toEqual([]);
  });

  it('answers 422 naming every bad field', async () => {
    const { client } = await newAccount(server);
    const bad = await client.post('/v1/webhooks', {
      url: 'ftp://example.com/x',
      events: ['conversation.created', 'conversation.exploded'],
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('validation_error');
    expect(Object.keys(bad.body.error.details.fields).sort()).toEqual(['events', 'url']);
    expect(bad.body.error.details.fields.url).toEqual(['Url must use http or https']);
    expect(bad.body.error.details.fields.events[0]).toMatch(/Unknown event type: conversation\.exploded/);

    const missing = await client.post('/v1/webhooks', { url: receiver.endpoint().url });
    expect(missing.status).toBe(422);
    expect(missing.body.error.details.fields).toEqual({ events: ['Events is required'] });
    const empty = await client.post('/v1/webhooks', { url: 'not a url', events: [] });
    expect(Object.keys(empty.body.error.details.fields).sort()).toEqual(['events', 'url']);
    const typo = await client.post('/v1/webhooks', { url: receiver.endpoint().url, events: ['*'], evnets: ['*'] });
    expect(typo.status).toBe(422);
    expect(typo.body.error.details.fields).toEqual({ evnets: ['Unknown field'] });
    const wrongType = await client.post('/v1/webhooks', { url: receiver.endpoint().url, events: ['*'], active: 'yes' });
    expect(wrongType.status).toBe(422);

    const ok = await createWebhook(client, { url: receiver.endpoint().url, events: ['*'] });
    const patch = await client.patch(`/v1/webhooks/${ok.id}`, { url: 'javascript:alert(1)', events: ['nope'] });
    expect(patch.status).toBe(422);
    expect(Object.keys(patch.body.error.details.fields).sort()).toEqual(['events', 'url']);
    for (const id of ['webhook_01jzzzzzzzzzzzzzzzzzzzzzzz', 'nope']) {
      expect((await client.get(`/v1/webhooks/${id}`)).status, id).toBe(404);
      expect((await client.patch(`/v1/webhooks/${id}`, { active: true })).status, id).toBe(404);
    }
  });

  it('has GraphQL equivalents', async () => {
    const { client } = await newAccount(server);
    const { url } = receiver.endpoint();
    const created = await client.request('POST', '/graphql', {
      query:
        'mutation($url: String!) { createWebhook(url: $url, events: ["conversation.deleted"], description: "gql") { id url events active secret createdAt } }',
      variables: { url },
    });
    expect(created.body.errors).toBeUndefined();
    const w = created.body.data.createWebhook;
    expect(w).toMatchObject({ url, events: ['conversation.deleted'], active: true });
    expect(w.secret).toMatch(/^whsec_/);
    const read = await client.request('POST', '/graphql', {
      query:
        'query($id: ID!) { webhook(id: $id) { id description } webhooks { data { id } } webhookDeliveries(webhookId: $id) { data { id } meta { total } } }',
      variables: { id: w.id },
    });
    expect(read.body.data).toEqual({
      webhook: { id: w.id, description: 'gql' },
      webhooks: { data: [{ id: w.id }] },
      webhookDeliveries: { data: [], meta: { total: 0 } },
    });
    const rotated = await client.request('POST', '/graphql', {
      query: 'mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }',
      variables: { id: w.id },
    });
    expect(rotated.body.data.rotateWebhookSecret.secret).not.toBe(w.secret);
    const bad = await client.request('POST', '/graphql', {
      query: 'mutation { createWebhook(url: "http://x.test/", events: ["nope"]) { id } }',
    });
    expect(bad.body.errors[0].extensions).toMatchObject({
      code: 'validation_error',
      details: { fields: { events: [expect.stringMatching(/Unknown event type/)] } },
    });
    const gone = await client.request('POST', '/graphql', {
      query: 'mutation($id: ID!) { deleteWebhook(id: $id) { deleted id } }',
      variables: { id: w.id },
    });
    expect(gone.body.data.deleteWebhook).toEqual({ deleted: true, id: w.id });
  });
});

describe('delivery', () => {
  it('delivers conversation created, updated and deleted, signed and verifiable with standardwebhooks', async () => {
    const { client } = await newAccount(server);
    const { path, url } = receiver.endpoint();
    const hook = await createWebhook(client, { url, events: ['conversation.created', 'conversation.updated', 'conversation.deleted'] });
    const conv = (await client.post('/v1/conversations', { title: 'Pricing', content: CHAT, metadata: { crm: 7 } })).body;
    await receivedOn(path, (rs) => rs.some((r) => r.json?.type === 'conversation.created'));
    await client.patch(`/v1/conversations/${conv.id}`, { title: 'Pricing (renamed)' });
    await receivedOn(path, (rs) => rs.some((r) => r.json?.type === 'conversation.updated' && r.json.data.title === 'Pricing (renamed)'));
    await client.delete(`/v1/conversations/${conv.id}`);
    const all = distinct(await receivedOn(path, (rs) => rs.some((r) => r.json?.type === 'conversation.deleted')));

    const verifier = new Webhook(hook.secret);
    const documented = await documentedPayloads();
    for (const r of all) {
      const payload = verifier.verify(r.body, swHeaders(r)) as any;
      expect(documented(payload)).toBeNull();
      expect(payload).toEqual(r.json);
      expect(Object.keys(payload).sort()).toEqual(['created_at', 'data', 'id', 'type']);
      expect(payload.id).toMatch(/^evt_[0-9a-z]{26}$/);
      expect(r.headers['webhook-id']).toBe(payload.id);
      expect(payload.created_at).toMatch(ISO);
      expect(r.headers['content-type']).toBe('application/json');
      // Any change to the body breaks the signature.
      expect(() => verifier.verify(`${r.body} `, swHeaders(r))).toThrow();
    }
    const created = all.find((r) => r.json.type === 'conversation.created')!.json;
    expect(created.data).toMatchObject({
      id: conv.id,
      title: 'Pricing',
      source: 'api',
      status: 'processing',
      metadata: { crm: 7 },
      created_at: conv.created_at,
    });
    expect(created.data.content).toBeUndefined();
    expect(all.find((r) => r.json.type === 'conversation.deleted')!.json.data).toEqual({ id: conv.id });
    // The endpoint did not subscribe to summary events.
    expect(all.every((r) => r.json.type.startsWith('conversation.'))).toBe(true);
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(all[0].body, swHeaders(all[0]))).toThrow();
  });

  it('delivers summary.generated and api_key.created/revoked to an endpoint subscribed to everything', async () => {
    const { client } = await newAccount(server);
    const { path, url } = receiver.endpoint();
    const hook = await createWebhook(client, { url, events: ['*'] });
    const conv = (await client.post('/v1/conversations', { title: 'Pricing', content: CHAT })).body;
    const key = (await client.post('/v1/api_keys', { name: 'ci' })).body;
    await client.delete(`/v1/api_keys/${key.id}`);
    const rs = distinct(
      // Events are delivered by independent jobs, in no promised order: wait for every one expected.
      await receivedOn(path, (list) =>
        ['conversation.created', 'conversation.updated', 'summary.generated', 'api_key.created', 'api_key.revoked'].every((t) =>
          list.some((r) => r.json?.type === t),
        ),
      ),
    );
    const verifier = new Webhook(hook.secret);
    const documented = await documentedPayloads();
    for (const r of rs) {
      verifier.verify(r.body, swHeaders(r));
      expect(documented(r.json)).toBeNull(); // as the OpenAPI document's `webhooks` describe it
    }
    const summary = rs.find((r) => r.json.type === 'summary.generated')!.json.data;
    expect(summary).toMatchObject({ conversation_id: conv.id, status: 'completed', sentiment: expect.any(String) });
    expect(summary.id).toMatch(/^summary_/);
    const revoked = rs.find((r) => r.json.type === 'api_key.revoked')!.json.data;
    expect(revoked).toMatchObject({ id: key.id, name: 'ci', revoked_at: expect.stringMatching(ISO) });
    expect(JSON.stringify(rs.map((r) => r.json))).not.toContain(key.key); // never the secret
    const types = rs.map((r) => r.json.type);
    expect(types).toContain('conversation.created');
    expect(types).toContain('conversation.updated'); // the summary completed it
  }, 60_000);

  it('retries after a 500 with the same webhook-id, and logs every attempt', async () => {
    const { client } = await newAccount(server);
    const { path, url } = receiver.endpoint([500, 200]);
    const hook = await createWebhook(client, { url, events: ['conversation.created'] });
    await client.post('/v1/conversations', { title: 'Retry me', content: CHAT });
    const rs = await receivedOn(path, (list) => list.length >= 2);
    expect(rs[0].headers['webhook-id']).toBe(rs[1].headers['webhook-id']);
    expect(rs[1].body).toBe(rs[0].body);
    new Webhook(hook.secret).verify(rs[1].body, swHeaders(rs[1]));

    const log = await eventually(
      () => client.get(`/v1/webhooks/${hook.id}/deliveries`),
      (r) => r.body.data?.some((d: any) => d.status === 'succeeded'),
      WAIT,
    );
    expect(log.status).toBe(200);
    expect(log.body.meta).toMatchObject({ page: 1, per_page: 20, total: 2 });
    const [second, first] = log.body.data;
    expect(Object.keys(first).sort()).toEqual(
      [
        'attempt',
        'attempted_at',
        'created_at',
        'duration_ms',
        'error',
        'event_id',
        'event_type',
        'id',
        'next_retry_at',
        'scheduled_at',
        'status',
        'status_code',
      ].sort(),
    );
    expect(first).toMatchObject({
      attempt: 1,
      status: 'failed',
      status_code: 500,
      event_type: 'conversation.created',
      event_id: rs[0].headers['webhook-id'],
    });
    expect(first.error).toMatch(/^HTTP 500/);
    expect(first.next_retry_at).toMatch(ISO);
    expect(first.duration_ms).toEqual(expect.any(Number));
    expect(first.id).toMatch(/^dlv_/);
    expect(second).toMatchObject({
      attempt: 2,
      status: 'succeeded',
      status_code: 200,
      error: null,
      next_retry_at: null,
      event_id: first.event_id,
    });
    expect((await client.get(`/v1/webhooks/${hook.id}`)).body.active).toBe(true);

    // Paged one at a time: newest first, the same total on every page, and a page past the last one
    // still knows it.
    const pages = await Promise.all([1, 2, 3].map((n) => client.get(`/v1/webhooks/${hook.id}/deliveries?page=${n}&per_page=1`)));
    expect(pages.map((p) => p.body.data.map((d: any) => d.id))).toEqual([[second.id], [first.id], []]);
    expect(pages.map((p) => p.body.meta)).toEqual([1, 2, 3].map((page) => ({ page, per_page: 1, total: 2, total_pages: 2 })));
    expect(pages[0].body.links.next).toContain('page=2');
    expect(pages[1].body.links.next).toBeNull();
    // The shared page rules, and an id that is not a webhook's.
    const bad = await client.get(`/v1/webhooks/${hook.id}/deliveries?page=0&per_page=101`);
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.fields).toEqual({ page: ['Page must be at least 1'], per_page: ['Per page must be between 1 and 100'] });
    const malformed = await client.get('/v1/webhooks/not-a-webhook/deliveries');
    expect(malformed.status).toBe(404);
    expect(malformed.body).toEqual({ error: { code: 'not_found', message: 'Webhook not found', details: {} } });
  });

  it('switches an endpoint off when it answers 410 Gone, and delivers nothing more to it', async () => {
    const { client } = await newAccount(server);
    const gone = receiver.endpoint([410]);
    const witness = receiver.endpoint();
    const hook = await createWebhook(client, { url: gone.url, events: ['conversation.created'] });
    await createWebhook(client, { url: witness.url, events: ['conversation.created'] });
    await client.post('/v1/conversations', { title: 'First', content: CHAT });
    const off = await eventually(
      () => client.get(`/v1/webhooks/${hook.id}`),
      (r) => r.body.active === false,
      WAIT,
    );
    expect(off.body).toMatchObject({ active: false, disabled_reason: 'gone' });
    expect(receiver.at(gone.path)).toHaveLength(1); // not retried

    const second = (await client.post('/v1/conversations', { title: 'Second', content: CHAT })).body;
    await receivedOn(witness.path, (rs) => rs.some((r) => r.json?.data?.id === second.id));
    expect(receiver.at(gone.path)).toHaveLength(1);
    const log = (await client.get(`/v1/webhooks/${hook.id}/deliveries`)).body;
    expect(log.data).toEqual([expect.objectContaining({ status: 'failed', status_code: 410, next_retry_at: null })]);

    // Switching it on again forgets why it was off.
    const on = await client.patch(`/v1/webhooks/${hook.id}`, { active: true });
    expect(on.body).toMatchObject({ active: true, disabled_reason: null });
  });

  it('switches an endpoint off after failing continuously for the configured period', async () => {
    const { client } = await newAccount(server);
    const failing = receiver.endpoint([503]);
    const hook = await createWebhook(client, { url: failing.url, events: ['conversation.created'] });
    await client.post('/v1/conversations', { title: 'Doomed', content: CHAT });
    const off = await eventually(
      () => client.get(`/v1/webhooks/${hook.id}`),
      (r) => r.body.active === false,
      WAIT,
    );
    expect(off.body.disabled_reason).toBe('failing');
    const attempts = receiver.at(failing.path);
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(attempts.map((r) => r.headers['webhook-id'])).size).toBe(1);
  });

  it('sends a test event to one endpoint: 202, signed, logged', async () => {
    const { client } = await newAccount(server);
    const target = receiver.endpoint();
    const hook = await createWebhook(client, { url: target.url, events: ['conversation.deleted'] });
    const res = await client.post(`/v1/webhooks/${hook.id}/test`);
    expect(res.status, res.text).toBe(202);
    expect(res.body).toMatchObject({ type: 'webhook.test', data: { webhook_id: hook.id } });
    expect(res.body.id).toMatch(/^evt_/);
    expect(res.body.created_at).toMatch(ISO);
    const [r] = await receivedOn(target.path, (rs) => rs.length >= 1);
    const payload = new Webhook(hook.secret).verify(r.body, swHeaders(r));
    expect(payload).toEqual({ id: res.body.id, type: 'webhook.test', created_at: res.body.created_at, data: res.body.data });
    const log = await eventually(
      () => client.get(`/v1/webhooks/${hook.id}/deliveries`),
      (l) => l.body.data[0]?.status === 'succeeded',
      WAIT,
    );
    expect(log.body.data).toEqual([
      expect.objectContaining({ event_id: res.body.id, event_type: 'webhook.test', attempt: 1, status_code: 200 }),
    ]);
    expect((await client.post(`/v1/webhooks/${hook.id}/test`, { extra: 1 })).status).toBe(422);
  });

  it('signs with both secrets for a while after a rotation', async () => {
    const { client } = await newAccount(server);
    const target = receiver.endpoint();
    const hook = await createWebhook(client, { url: target.url, events: ['conversation.created'] });
    const rotated = await client.post(`/v1/webhooks/${hook.id}/rotate_secret`);
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(hook.secret);
    expect(rotated.body.id).toBe(hook.id);
    expect((await client.get(`/v1/webhooks/${hook.id}`)).body.secret).toBeUndefined();

    await client.post('/v1/conversations', { title: 'After rotation', content: CHAT });
    const [r] = await receivedOn(target.path, (rs) => rs.length >= 1);
    const signatures = r.headers['webhook-signature'].split(' ');
    expect(signatures).toHaveLength(2);
    for (const s of signatures) expect(s).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    new Webhook(rotated.body.secret).verify(r.body, swHeaders(r));
    new Webhook(hook.secret).verify(r.body, swHeaders(r));
  });

  it('keeps delivering to healthy endpoints while another endpoint hangs, which gets only its share of slots', async () => {
    // This server has 4 delivery slots and at most 2 attempts in flight per endpoint.
    const { client } = await newAccount(server);
    const slow = receiver.endpoint(['hold']);
    const fast = receiver.endpoint();
    await createWebhook(client, { url: slow.url, events: ['conversation.created'] });
    await createWebhook(client, { url: fast.url, events: ['conversation.created'] });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await client.post('/v1/conversations', { title: `Burst ${i}`, content: CHAT })).body.id);
    const got = await receivedOn(fast.path, (rs) => ids.every((id) => rs.some((r) => r.json?.data?.id === id)));
    expect(ids.every((id) => got.some((r) => r.json?.data?.id === id))).toBe(true);
    await receivedOn(slow.path, (rs) => rs.length >= 2);
    expect(receiver.maxOpen(slow.path)).toBe(2);
    receiver.release(slow.path);
  });
});

describe('tenant isolation', () => {
  it('hides every webhook route from another account (404, never 403)', async () => {
    const owner = await newAccount(server);
    const intruder = await newAccount(server);
    const hook = await createWebhook(owner.client, { url: receiver.endpoint().url, events: ['*'] });
    const unknown = 'webhook_01jzzzzzzzzzzzzzzzzzzzzzzz';
    for (const id of [hook.id, unknown]) {
      const answers = [
        await intruder.client.get(`/v1/webhooks/${id}`),
        await intruder.client.patch(`/v1/webhooks/${id}`, { url: 'http://127.0.0.1:9/pwned', active: false }),
        await intruder.client.post(`/v1/webhooks/${id}/rotate_secret`),
        await intruder.client.post(`/v1/webhooks/${id}/test`),
        await intruder.client.get(`/v1/webhooks/${id}/deliveries`),
        await intruder.client.delete(`/v1/webhooks/${id}`),
      ];
      for (const res of answers) {
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ error: { code: 'not_found', message: 'Webhook not found', details: {} } });
      }
    }
    expect((await intruder.client.get('/v1/webhooks')).body.data).toEqual([]);
    for (const query of [
      `{ webhook(id: "${hook.id}") { id } }`,
      `{ webhookDeliveries(webhookId: "${hook.id}") { meta { total } } }`,
      `mutation { updateWebhook(id: "${hook.id}", active: false) { id } }`,
      `mutation { rotateWebhookSecret(id: "${hook.id}") { secret } }`,
      `mutation { testWebhook(id: "${hook.id}") { id } }`,
      `mutation { deleteWebhook(id: "${hook.id}") { id } }`,
    ]) {
      const res = await intruder.client.request('POST', '/graphql', { query });
      expect(res.body.errors?.[0]?.extensions?.code, query).toBe('not_found');
    }
    // The intruder's own events never reach the owner's endpoint.
    await intruder.client.post('/v1/conversations', { title: 'Mine', content: CHAT });
    const after = await owner.client.get(`/v1/webhooks/${hook.id}`);
    const { secret: _s, ...expected } = hook;
    expect(after.body).toEqual(expected);
    expect((await owner.client.get(`/v1/webhooks/${hook.id}/deliveries`)).body.meta.total).toBe(0);
  });
});

describe('SSRF guard (WEBHOOK_ALLOW_PRIVATE_URLS off)', () => {
  const strict = useBullServer(REDIS_DB, 'webhooks-strict');

  it('refuses private, loopback, link-local, unspecified, multicast and metadata addresses with 422', async () => {
    const { client } = await newAccount(strict);
    for (const url of [
      receiver.endpoint().url,
      'http://localhost:8080/hook',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://2130706433/',
      'http://0177.0.0.1/',
      'http://10.0.0.7/',
      'http://192.168.1.20/',
      'http://169.254.169.254/latest/meta-data/',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://[fd00:ec2::254]/',
      'http://0.0.0.0/',
      'http://[::]/',
      'http://224.0.0.1/',
    ]) {
      const res = await client.post('/v1/webhooks', { url, events: ['*'] });
      expect(res.status, url).toBe(422);
      expect(res.body.error.details.fields, url).toEqual({
        url: ['Url must not point to a private, loopback, link-local, multicast or metadata address'],
      });
    }
    const ok = await createWebhook(client, { url: 'https://93.184.215.14/hooks', events: ['*'] });
    const patch = await client.patch(`/v1/webhooks/${ok.id}`, { url: 'http://127.0.0.1:6379/' });
    expect(patch.status).toBe(422);
    expect(patch.body.error.details.fields).toEqual({
      url: ['Url must not point to a private, loopback, link-local, multicast or metadata address'],
    });
  });

  it('checks again at delivery time and does not connect', async () => {
    const owner = await newAccount(strict);
    const target = receiver.endpoint();
    // Registered where private URLs are allowed (same database); delivered by the strict workers.
    const hook = await createWebhook(client(server.url, owner.api_key), { url: target.url, events: ['*'] });
    const sent = await owner.client.post(`/v1/webhooks/${hook.id}/test`);
    expect(sent.status).toBe(202);
    const first = (r: { body: any }) => r.body.data?.find((d: any) => d.attempt === 1);
    const log = await eventually(
      () => owner.client.get(`/v1/webhooks/${hook.id}/deliveries`),
      (r) => first(r)?.status === 'failed',
      WAIT,
    );
    // Refused like any failure, so retried: DNS may point somewhere else by then.
    expect(first(log)).toMatchObject({
      status: 'failed',
      status_code: null,
      error: expect.stringMatching(/^Refused: /),
      next_retry_at: expect.stringMatching(ISO),
    });
    expect(receiver.at(target.path)).toHaveLength(0);
  });
});

describe('outbox recovery', () => {
  it('delivers what was committed while no dispatcher ran, once workers start again', async () => {
    const lost = uniquePrefix('webhooks-lost');
    const fresh = uniquePrefix('webhooks-fresh');
    // An API instance whose queue is never consumed and then abandoned: as if the process died
    // between the commit and the dispatch, or Redis lost the jobs.
    const apiOnly = await startTestServer(bullEnv(REDIS_DB, lost, { RUN_WORKERS: 'false', WEBHOOK_ALLOW_PRIVATE_URLS: 'true' }));
    let worker: TestServer | undefined;
    try {
      const owner = await newAccount(apiOnly);
      const target = receiver.endpoint();
      const hook = await createWebhook(owner.client, { url: target.url, events: ['conversation.created', 'conversation.updated'] });
      const conv = (await owner.client.post('/v1/conversations', { title: 'Written while down', content: CHAT })).body;
      await owner.client.patch(`/v1/conversations/${conv.id}`, { title: 'Renamed while down' });
      const test = (await owner.client.post(`/v1/webhooks/${hook.id}/test`)).body; // a pending delivery, no dispatch needed
      await apiOnly.stop();
      expect(receiver.at(target.path)).toHaveLength(0);

      worker = await startTestServer(bullEnv(REDIS_DB, fresh, { JOB_RECOVERY_INTERVAL_MS: '300', WEBHOOK_ALLOW_PRIVATE_URLS: 'true' }));
      const rs = distinct(
        await receivedOn(target.path, (list) =>
          ['conversation.created', 'conversation.updated', 'webhook.test'].every((t) => list.some((r) => r.json?.type === t)),
        ),
      );
      const verifier = new Webhook(hook.secret);
      for (const r of rs) verifier.verify(r.body, swHeaders(r));
      expect(rs.find((r) => r.json.type === 'conversation.created')!.json.data.id).toBe(conv.id);
      expect(rs.find((r) => r.json.type === 'conversation.updated')!.json.data.title).toBe('Renamed while down');
      expect(rs.find((r) => r.json.type === 'webhook.test')!.json.id).toBe(test.id);
    } finally {
      await worker?.stop();
      await dropPrefix(REDIS_DB, lost);
      await dropPrefix(REDIS_DB, fresh);
    }
  }, 90_000);
});

describe('retention (WEBHOOK_RETENTION)', () => {
  it('prunes finished attempts and dispatched events past the retention, keeping pending work and anything newer', async () => {
    const pfx = uniquePrefix('webhooks-retention');
    const short = await startTestServer(
      bullEnv(REDIS_DB, pfx, {
        WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
        WEBHOOK_RETENTION: '1500ms',
        WEBHOOK_RETRY_SCHEDULE: '1h',
        WEBHOOK_PRUNE_INTERVAL_MS: '0',
      }),
    );
    try {
      const { client } = await newAccount(short);
      const ok = receiver.endpoint();
      const failing = receiver.endpoint([500]);
      const okHook = await createWebhook(client, { url: ok.url, events: ['conversation.created'] });
      const failingHook = await createWebhook(client, { url: failing.url, events: ['conversation.created'] });
      const old = (await client.post('/v1/conversations', { title: 'Old news', content: CHAT })).body;
      await eventually(
        () => client.get(`/v1/webhooks/${okHook.id}/deliveries`),
        (r) => r.body.data?.[0]?.status === 'succeeded',
        WAIT,
      );
      await eventually(
        () => client.get(`/v1/webhooks/${failingHook.id}/deliveries`),
        (r) => r.body.data?.length === 2,
        WAIT,
      );
      // Its summary.generated event (no endpoint listens) is dispatched too: nothing pending keeps it.
      await eventually(
        () => client.get(`/v1/conversations/${old.id}`),
        (r) => r.body.status === 'completed',
        WAIT,
      );
      await new Promise((r) => setTimeout(r, 1_700));
      const cutoff = new Date(Date.now() - 1_500);
      const fresh = (await client.post('/v1/conversations', { title: 'Fresh news', content: CHAT })).body;
      await receivedOn(ok.path, (rs) => rs.some((r) => r.json?.data?.id === fresh.id));
      await eventually(
        () => client.get(`/v1/webhooks/${okHook.id}/deliveries`),
        (r) => r.body.data?.every((d: any) => d.status === 'succeeded'),
        WAIT,
      );

      const oldEvents = () =>
        short.running.app.db.query<{ id: string; type: string }>(
          `SELECT id, type FROM events WHERE account_id = (SELECT account_id FROM conversations WHERE id = $1) AND created_at < $2`,
          [old.id, cutoff],
        );
      const undispatched = () =>
        short.running.app.db.query(
          `SELECT 1 FROM events WHERE account_id = (SELECT account_id FROM conversations WHERE id = $1) AND dispatched_at IS NULL`,
          [old.id],
        );
      await eventually(undispatched, (rows) => rows.length === 0, WAIT);
      expect((await oldEvents()).map((e) => e.type)).toEqual(expect.arrayContaining(['conversation.created', 'summary.generated']));
      const { pruneWebhookHistory } = await import('../src/modules/webhooks/prune-history.js');
      const removed = await pruneWebhookHistory(short.running.app);
      expect(removed.deliveries).toBeGreaterThanOrEqual(2); // the old success and the old failed first attempt

      const okLog = (await client.get(`/v1/webhooks/${okHook.id}/deliveries`)).body;
      expect(okLog.data.map((d: any) => d.event_id)).toHaveLength(1);
      expect(receiver.at(ok.path).find((r) => r.json?.data?.id === fresh.id)!.headers['webhook-id']).toBe(okLog.data[0].event_id);
      const failingLog = (await client.get(`/v1/webhooks/${failingHook.id}/deliveries`)).body;
      const oldEventId = receiver.at(failing.path).find((r) => r.json?.data?.id === old.id)!.headers['webhook-id'];
      const freshEventId = receiver.at(failing.path).find((r) => r.json?.data?.id === fresh.id)!.headers['webhook-id'];
      // The old event: its failed first attempt is gone, its retry still pending (due in an hour) is kept.
      expect(failingLog.data.filter((d: any) => d.event_id === oldEventId).map((d: any) => [d.attempt, d.status])).toEqual([
        [2, 'pending'],
      ]);
      // The fresh event is younger than the retention: both of its rows stay.
      expect(
        failingLog.data
          .filter((d: any) => d.event_id === freshEventId)
          .map((d: any) => d.attempt)
          .sort(),
      ).toEqual([1, 2]);
      // A dispatched event with an attempt still pending is kept; the other old events are gone.
      expect((await oldEvents()).map((e) => e.id)).toEqual([oldEventId]);
    } finally {
      await short.stop();
      await dropPrefix(REDIS_DB, pfx);
    }
  }, 60_000);
});
