// REDIS_URL may name a database number (several deployments share one Redis): that number is used.
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { dropPrefix, parkedJobsEnv, REDIS_BASE } from './helpers/jobs.js';
import { newAccount, startTestServer } from './helpers/server.js';

const DB = 14;
const env = parkedJobsEnv(DB);
afterAll(() => dropPrefix(DB, env.QUEUE_PREFIX));

async function keysUnder(db: number, prefix: string): Promise<string[]> {
  const redis = new Redis(`${REDIS_BASE}/${db}`);
  try {
    return await redis.keys(`${prefix}:*`);
  } finally {
    redis.disconnect();
  }
}

describe('REDIS_URL database number', () => {
  it('puts the queues in the database the URL names, and nowhere else', async () => {
    const server = await startTestServer(env);
    try {
      const { client } = await newAccount(server);
      expect((await client.post('/v1/conversations', { title: 't', content: 'queued work' })).status).toBe(201);
      expect((await keysUnder(DB, env.QUEUE_PREFIX)).length).toBeGreaterThan(0);
      expect(await keysUnder(0, env.QUEUE_PREFIX)).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});
