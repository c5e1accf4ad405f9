// A burst of writes to one account, more than the database pool can take at once: every request is
// either stored and answered 201, or refused with 503 and Retry-After and not stored — never a 500,
// and never a conversation stored behind an error (a client retrying it would make a duplicate).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropPrefix, parkedJobsEnv } from './helpers/jobs.js';
import { newAccount, startTestServer, type TestServer } from './helpers/server.js';

const jobs = parkedJobsEnv(15);
let server: TestServer;
beforeAll(async () => {
  // Two connections for the whole server: the writes of the burst queue for them and for the
  // account's storage row, which they take in turns (src/modules/usage/storage-quota.ts).
  server = await startTestServer({ ...jobs, DATABASE_POOL_SIZE: '2', RATE_LIMITS_ENABLED: 'false' });
});
afterAll(async () => {
  await server?.stop();
  await dropPrefix(15, jobs.QUEUE_PREFIX);
});

describe('a burst of creates for one account', () => {
  it('answers each with 201 (stored) or 503 with Retry-After (not stored), never a 500', async () => {
    const { client } = await newAccount(server, 'pro');
    const answers = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        client.post('/v1/conversations', { title: `Burst ${i}`, content: `Anna: item ${i}\nTom: noted, thanks.` }),
      ),
    );
    const created = answers.filter((a) => a.status === 201);
    for (const a of answers) {
      expect([201, 503], a.text).toContain(a.status);
      if (a.status === 503) {
        expect(a.body.error.code).toBe('service_unavailable');
        expect(a.headers.get('retry-after')).toMatch(/^\d+$/);
      }
    }
    expect(created.length).toBeGreaterThan(0);
    const list = await client.get('/v1/conversations?per_page=100');
    expect(list.body.meta.total).toBe(created.length);
    for (const a of created) expect(a.body.attachments).toEqual([]);
  }, 120_000);
});
