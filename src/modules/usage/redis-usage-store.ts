// Request counts shared by every instance through Redis. Each request adds to its account's `pending`
// hash (HINCRBY, sent without waiting for the answer). A flush, by any instance, atomically renames
// `pending` to `flushing` with the next flush id of that account, writes it to PostgreSQL in a
// statement that also moves the account's mark to that id (so a batch is applied once, even when two
// instances retry it), then deletes it. A read adds to PostgreSQL's figures exactly the Redis counts
// that its mark shows are not there yet: `flushing` if its id is above the mark, `pending` if the id it
// will get (above the last one given) is.
import type { Redis } from 'ioredis';
import type { Database } from '../../lib/db.js';
import { addMarkedCounts, type Counts } from './usage-counts.js';

// KEYS: pending, flushing, seq. ARGV: now (ms). Ids grow with the clock too, so that a Redis that lost
// its data never hands out an id PostgreSQL has already seen.
const TAKE = `
if redis.call('EXISTS', KEYS[2]) == 1 then
  -- an earlier flush did not finish: retry that batch first, and say if more is pending
  local batch = redis.call('HGETALL', KEYS[2])
  if redis.call('EXISTS', KEYS[1]) == 1 then table.insert(batch, '_more') table.insert(batch, '1') end
  return batch
end
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
local id = math.max(tonumber(redis.call('GET', KEYS[3]) or '0') + 1, tonumber(ARGV[1]))
local sid = string.format('%d', id)
redis.call('SET', KEYS[3], sid)
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[2], '_id', sid)
return redis.call('HGETALL', KEYS[2])`;

// KEYS: flushing. ARGV: id. Deletes the batch only if it is still the one that was written.
const DONE = `
if redis.call('HGET', KEYS[1], '_id') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

type UsageRedis = Redis & {
  usageTake(pending: string, flushing: string, seq: string, now: string): Promise<string[]>;
  usageDone(flushing: string, id: string): Promise<number>;
};

const BATCH = 500;

function toCounts(flat: string[]): { id: number; counts: Counts; more: boolean } {
  const counts: Counts = new Map();
  let id = 0;
  let more = false;
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i] === '_id') id = Number(flat[i + 1]);
    else if (flat[i] === '_more') more = true;
    else counts.set(flat[i], Number(flat[i + 1]));
  }
  return { id, counts, more };
}

export class RedisUsageStore {
  private readonly redis: UsageRedis;
  private readonly dirty: string;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand('usageTake', { numberOfKeys: 3, lua: TAKE });
    redis.defineCommand('usageDone', { numberOfKeys: 1, lua: DONE });
    this.redis = redis as UsageRedis;
    this.dirty = `${prefix}:dirty`;
  }

  // One hash slot per account ({…}), so that the scripts also run on a Redis Cluster.
  private keys(accountId: string) {
    const base = `${this.prefix}:{${accountId}}`;
    return { pending: `${base}:pending`, flushing: `${base}:flushing`, seq: `${base}:seq` };
  }

  /** Counts one request under each of `fields`; resolves when Redis has it (callers need not wait). */
  record(accountId: string, fields: readonly string[]): Promise<unknown> {
    const pending = this.keys(accountId).pending;
    const pipeline = this.redis.pipeline();
    for (const field of fields) pipeline.hincrby(pending, field, 1);
    return pipeline
      .sadd(this.dirty, accountId)
      .exec()
      .then((results) => {
        const failed = results?.find(([err]) => err);
        if (failed) throw failed[0];
      });
  }

  /** Counts in Redis that PostgreSQL may not have yet, and the ids that tell (see the file comment). */
  async unflushed(accountId: string): Promise<{ pending: Counts; pendingId: number; flushing?: { id: number; counts: Counts } }> {
    const k = this.keys(accountId);
    const results = await this.redis.multi().hgetall(k.pending).hgetall(k.flushing).get(k.seq).exec();
    if (!results) throw new Error('usage snapshot: transaction aborted');
    for (const [err] of results) if (err) throw err;
    const pending = new Map(Object.entries((results[0][1] ?? {}) as Record<string, string>).map(([f, n]) => [f, Number(n)]));
    const flushingHash = (results[1][1] ?? {}) as Record<string, string>;
    const flushing = Object.keys(flushingHash).length ? toCounts(Object.entries(flushingHash).flat()) : undefined;
    return { pending, pendingId: Number(results[2][1] ?? 0) + 1, flushing };
  }

  /** Moves every account's counts from Redis to PostgreSQL, in batches; returns how many accounts. */
  async flush(db: Database): Promise<number> {
    let accounts = 0;
    for (;;) {
      const ids = (await this.redis.spop(this.dirty, BATCH)) as string[];
      if (!ids.length) return accounts;
      try {
        await this.flushAccounts(db, ids);
      } catch (err) {
        await this.redis.sadd(this.dirty, ...ids).catch(() => {});
        throw err;
      }
      accounts += ids.length;
      if (ids.length < BATCH) return accounts;
    }
  }

  private async flushAccounts(db: Database, ids: string[]): Promise<void> {
    const now = String(Date.now());
    const taken = await Promise.all(
      ids.map((id) => {
        const k = this.keys(id);
        return this.redis.usageTake(k.pending, k.flushing, k.seq, now);
      }),
    );
    const batches = new Map<string, { flushId: number; counts: Counts }>();
    const more: string[] = [];
    taken.forEach((flat, i) => {
      if (!flat.length) return;
      const batch = toCounts(flat);
      batches.set(ids[i], { flushId: batch.id, counts: batch.counts });
      if (batch.more) more.push(ids[i]);
    });
    await addMarkedCounts(db, batches);
    await Promise.all([...batches].map(([accountId, b]) => this.redis.usageDone(this.keys(accountId).flushing, String(b.flushId))));
    if (more.length) await this.redis.sadd(this.dirty, ...more); // taken by the next flush
  }
}
