// The operator CLI, run as a user runs it (`npx aimychats …` is bin/aimychats.js).
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { bullEnv, dropPrefix, eventually, uniquePrefix } from './helpers/jobs.js';
import { client, newAccount, startTestServer, type TestServer } from './helpers/server.js';
import { startReceiver, swHeaders, type Receiver } from './helpers/webhook-receiver.js';

const REDIS_DB = 11;
const prefix = uniquePrefix('cli');
let server: TestServer;
/** Workers on Redis, private webhook URLs allowed, no key cache: what the CLI changes shows at once. */
let hooked: TestServer;
let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
  [server, hooked] = await Promise.all([
    startTestServer(),
    startTestServer(bullEnv(REDIS_DB, prefix, { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', API_KEY_CACHE_TTL_MS: '0' })),
  ]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), hooked?.stop()]);
  await receiver?.close();
  await dropPrefix(REDIS_DB, prefix);
});

/** The CLI as an operator runs it next to `hooked`: same database, same queue. */
const hookedEnv = () => ({ DATABASE_URL: inject('databaseUrl'), ...bullEnv(REDIS_DB, prefix) });
const lastJson = (text: string) => JSON.parse(text.trim().split('\n').pop()!);
function ok(res: { code: number; stdout: string; stderr: string }) {
  expect(res.code, res.stderr).toBe(0);
  const lines = res.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]);
}

describe('aimychats accounts create', () => {
  it('prints exactly one JSON object with the account and a working key', async () => {
    const email = `cli_${Date.now()}@example.com`;
    const res = await cli(['accounts', 'create', '--email', email, '--plan', 'professional'], { DATABASE_URL: inject('databaseUrl') });
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]);
    expect(Object.keys(out)).toEqual(['account', 'api_key']);
    expect(out.account).toMatchObject({ email, plan: 'professional' });
    expect(out.account.id).toMatch(/^user_/);
    const c = client(server.url, out.api_key);
    expect((await c.post('/v1/conversations', { title: 't', content: 'c' })).status).toBe(201);
  });

  it('refuses a duplicate email, an unknown plan and a missing email, printing nothing on stdout', async () => {
    const env = { DATABASE_URL: inject('databaseUrl') };
    const email = `dup_${Date.now()}@example.com`;
    expect((await cli(['accounts', 'create', '--email', email], env)).code).toBe(0);
    const dup = await cli(['accounts', 'create', '--email', email.toUpperCase()], env);
    expect(dup.code).toBe(1);
    expect(dup.stdout).toBe('');
    expect(JSON.parse(dup.stderr.trim().split('\n').pop()!).error.code).toBe('validation_error');
    const plan = await cli(['accounts', 'create', '--email', `p_${Date.now()}@example.com`, '--plan', 'platinum'], env);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toMatch(/Plan must be one of/);
    const missing = await cli(['accounts', 'create'], env);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
  });

  it('stops with a message naming a bad variable', async () => {
    const res = await cli(['accounts', 'create', '--email', 'x@example.com'], {
      DATABASE_URL: 'mysql://nope',
      REDIS_URL: 'redis://127.0.0.1:6379/abc',
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/DATABASE_URL/);
    expect(res.stderr).toMatch(/REDIS_URL/);
  });
});

describe('aimychats keys', () => {
  it('creates, lists and revokes keys; a revoked key gets 401; api_key events reach webhooks', async () => {
    const { account, client: owner } = await newAccount(hooked);
    const { path, url } = receiver.endpoint();
    const hook = await owner.post('/v1/webhooks', { url, events: ['api_key.created', 'api_key.revoked'] });
    expect(hook.status, hook.text).toBe(201);
    const env = hookedEnv();

    const created = ok(await cli(['keys', 'create', '--account', account.id, '--name', 'ops'], env));
    expect(Object.keys(created)).toEqual(['api_key', 'key']);
    expect(created.key).toMatch(/^amc_[A-Za-z0-9_-]{43}$/);
    expect(created.api_key).toMatchObject({ name: 'ops', revoked_at: null, last_used_at: null, prefix: created.key.slice(0, 12) });
    expect(created.api_key.id).toMatch(/^key_/);
    expect(JSON.stringify(created.api_key)).not.toContain(created.key);
    expect(created.api_key).not.toHaveProperty('hash');
    const c = client(hooked.url, created.key);
    expect((await c.get('/v1/account')).status).toBe(200);

    const listed = ok(await cli(['keys', 'list', '--account', account.id], env));
    expect(Object.keys(listed)).toEqual(['data']);
    expect(listed.data.map((k: { id: string }) => k.id)).toContain(created.api_key.id);
    expect(listed.data).toHaveLength(2); // the account's first key and this one
    expect(JSON.stringify(listed)).not.toMatch(/amc_[A-Za-z0-9_-]{43}/);

    const revoked = ok(await cli(['keys', 'revoke', '--account', account.id, '--id', created.api_key.id], env));
    expect(revoked).toMatchObject({ id: created.api_key.id, name: 'ops' });
    expect(revoked.revoked_at).toMatch(/Z$/);
    expect((await c.get('/v1/account')).status).toBe(401);
    expect((await owner.get('/v1/account')).status).toBe(200);

    // The same code path as REST: api_key.created and api_key.revoked, signed, to the account's endpoint.
    const got = await eventually(
      async () => receiver.at(path),
      (rs) => new Set(rs.map((r) => r.json?.type)).size >= 2,
      30_000,
    );
    const secret = hook.body.secret as string;
    const byType = new Map(got.map((r) => [r.json.type, r]));
    for (const type of ['api_key.created', 'api_key.revoked']) {
      const r = byType.get(type)!;
      expect(r, type).toBeDefined();
      expect(new Webhook(secret).verify(r.body, swHeaders(r))).toMatchObject({ type, data: { id: created.api_key.id, name: 'ops' } });
    }
  });

  it('refuses a missing account, an unknown account, a foreign key id and bad options', async () => {
    const env = { DATABASE_URL: inject('databaseUrl') };
    const a = await newAccount(server);
    const b = await newAccount(server);
    const missing = await cli(['keys', 'list'], env);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    const noId = await cli(['keys', 'revoke', '--account', a.account.id], env);
    expect(noId.code).toBe(2);
    const unknownOption = await cli(['keys', 'list', '--account', a.account.id, '--colour', 'red'], env);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stdout).toBe('');
    for (const id of ['user_nope', 'user_01jzzzzzzzzzzzzzzzzzzzzzzz']) {
      const unknown = await cli(['keys', 'create', '--account', id], env);
      expect(unknown.code).toBe(1);
      expect(unknown.stdout).toBe('');
      expect(lastJson(unknown.stderr).error.code).toBe('not_found');
    }
    const bKeys = ok(await cli(['keys', 'list', '--account', b.account.id], env)).data;
    const foreign = await cli(['keys', 'revoke', '--account', a.account.id, '--id', bKeys[0].id], env);
    expect(foreign.code).toBe(1);
    expect(lastJson(foreign.stderr).error.code).toBe('not_found');
    expect((await b.client.get('/v1/account')).status).toBe(200);
    const longName = await cli(['keys', 'create', '--account', a.account.id, '--name', 'x'.repeat(101)], env);
    expect(longName.code).toBe(1);
    expect(lastJson(longName.stderr).error).toMatchObject({ code: 'validation_error', details: { fields: { name: expect.any(Array) } } });
  }, 120_000); // nine CLI processes one after another, each a cold start of seconds on a busy machine
});

describe('aimychats accounts set-plan', () => {
  it('changes the plan, its limits apply, and subscription.updated reaches the webhook receiver', async () => {
    const { account, client: c } = await newAccount(hooked, 'professional');
    const { path, url } = receiver.endpoint();
    const hook = await c.post('/v1/webhooks', { url, events: ['subscription.updated'] });
    expect(hook.status, hook.text).toBe(201);
    const before = await c.get('/v1/account');
    expect(before.body.plan).toBe('professional');

    const out = ok(await cli(['accounts', 'set-plan', '--account', account.id, '--plan', 'pro'], hookedEnv()));
    expect(out).toMatchObject({ id: account.id, email: account.email, plan: 'pro' });
    const after = await c.get('/v1/account');
    expect(after.body).toMatchObject({ plan: 'pro', storage: { limit_mb: 2000 }, api_usage: { limit_per_day: 50000 } });
    expect(after.headers.get('x-ratelimit-limit')).not.toBe(before.headers.get('x-ratelimit-limit'));

    const [r] = await eventually(
      async () => receiver.at(path),
      (rs) => rs.length >= 1,
      30_000,
    );
    const payload = new Webhook(hook.body.secret).verify(r.body, swHeaders(r)) as any;
    expect(payload).toMatchObject({
      type: 'subscription.updated',
      data: { account_id: account.id, plan: 'pro', previous_plan: 'professional' },
    });
    expect(payload.id).toMatch(/^evt_/);
  });

  it('refuses an unknown plan (naming the plans) and an unknown account, and needs both options', async () => {
    const env = { DATABASE_URL: inject('databaseUrl') };
    const { account, client: c } = await newAccount(server, 'free');
    const plan = await cli(['accounts', 'set-plan', '--account', account.id, '--plan', 'platinum'], env);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toBe('');
    expect(lastJson(plan.stderr).error).toMatchObject({
      code: 'validation_error',
      details: { fields: { plan: [expect.stringMatching(/Plan must be one of: .*free/)] } },
    });
    expect((await c.get('/v1/account')).body.plan).toBe('free');
    const unknown = await cli(['accounts', 'set-plan', '--account', 'user_01jzzzzzzzzzzzzzzzzzzzzzzz', '--plan', 'pro'], env);
    expect(unknown.code).toBe(1);
    expect(lastJson(unknown.stderr).error.code).toBe('not_found');
    expect((await cli(['accounts', 'set-plan', '--account', account.id], env)).code).toBe(2);
    expect((await cli(['accounts', 'set-plan', '--plan', 'pro'], env)).code).toBe(2);
  });
});
