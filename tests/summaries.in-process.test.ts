// Development mode: no REDIS_URL, the same job handlers run inside the API process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './helpers/jobs.js';
import { newAccount, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ JOB_RECOVERY_INTERVAL_MS: '0' });
});
afterAll(() => server?.stop());

describe('in-process jobs (no REDIS_URL)', () => {
  it('summarizes on create, on content change and on request', async () => {
    expect(server.running.app.jobs.mode).toBe('in-process');
    const { client } = await newAccount(server);
    const created = await client.post('/v1/conversations', {
      title: 'Demo',
      content: 'Tom: Could you schedule the demo for Tuesday?\nAnna: Yes, I will book it today.',
    });
    expect(created.body.status).toBe('processing');
    const poll = () =>
      eventually(
        () => client.get(`/v1/conversations/${created.body.id}`),
        (r) => r.body.status !== 'processing',
      );
    expect((await poll()).body.status).toBe('completed');

    await client.patch(`/v1/conversations/${created.body.id}`, { content: 'Maria: The invoice is wrong.\nJoao: I will fix it tomorrow.' });
    const changed = await poll();
    expect(changed.body.status).toBe('completed');
    expect(changed.body.summary.content).toMatch(/Maria|Joao/);

    const regen = await client.post(`/v1/conversations/${created.body.id}/summaries`, { style: 'detailed' });
    expect(regen.status).toBe(202);
    const done = await eventually(
      () => client.get(`/v1/summaries/${regen.body.id}`),
      (r) => r.body.status !== 'processing',
    );
    expect(done.body).toMatchObject({ status: 'completed', style: 'detailed', provider: 'local' });
    expect((await client.get(`/v1/conversations/${created.body.id}/summaries`)).body.meta.total).toBe(3);
  });

  it('summarizes a conversation at the maximum content size', async () => {
    const { client } = await newAccount(server);
    const line = 'Tom: We need to review the quarterly budget and send the report to finance before Friday.\n';
    const content = line.repeat(Math.floor(server.running.app.config.contentMaxChars / line.length));
    const created = await client.post('/v1/conversations', { title: 'Long', content });
    expect(created.status).toBe(201);
    const done = await eventually(
      () => client.get(`/v1/conversations/${created.body.id}`),
      (r) => r.body.status !== 'processing',
      30_000,
    );
    expect(done.body.status).toBe('completed');
  }, 40_000);
});
