// The operator CLI, run as a user runs it (`npx aimychats …` is bin/aimychats.js).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { client, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

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
    const res = await cli(['accounts', 'create', '--email', 'x@example.com'], { DATABASE_URL: 'mysql://nope', REDIS_URL: 'redis://127.0.0.1:6379/abc' });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/DATABASE_URL/);
    expect(res.stderr).toMatch(/REDIS_URL/);
  });
});
