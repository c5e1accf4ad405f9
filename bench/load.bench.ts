// `npm run bench:load` (issue 9, item 4): a mixed workload — create, list, get, patch, search, regenerate
// summary — for BENCH_DURATION_S (60) at BENCH_CONCURRENCY (50) requests in flight across BENCH_ACCOUNTS (20)
// accounts. Create, get, search and regenerate go through the typed GraphQL SDK (sdk/client.ts); list and
// patch through REST (/v1). Printed: throughput, p50/p95/p99/max per operation, answers by status, the count
// of 5xx (target 0), and lost writes: after the run, once the summaries have drained, every conversation
// created (including the acknowledged creates of the run) must be readable with a completed summary.
// Not a test: numbers depend on the machine and on its neighbours.
//
// Topology as in production: the API in a child process (RUN_WORKERS=false) and BENCH_WORKERS (1) worker
// processes, with Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/13, under a private QUEUE_PREFIX),
// on a scratch PostgreSQL database; RATE_LIMITS_ENABLED=false (requests still counted) so that the plan's
// per-minute limit does not shape the load. BENCH_WORKERS=0 runs the jobs inside the API process.
// Other settings: BENCH_DATABASE_ADMIN_URL, BENCH_SEED (conversations per account before the run, 5),
// BENCH_DRAIN_TIMEOUT_S (how long to wait for summaries after the run, 300); WORKER_CONCURRENCY and
// DATABASE_POOL_SIZE are passed on to the children.
// Everything is removed at the end: the children, the database, the prefix's Redis keys.
import fs from 'node:fs';
import os from 'node:os';
import { loadConfig } from '../src/config.js';
import { deleteKeys } from '../src/lib/redis.js';
import { createAccount } from '../src/modules/accounts/create-account.js';
import {
  AImyChatsError,
  CreateConversationDocument,
  createClient,
  GetConversationDocument,
  RegenerateSummaryDocument,
  SearchConversationsDocument,
  type Client,
} from '../sdk/index.js';
import { spawnServer, stopChildren } from './lib/child-server.js';
import { createScratchDatabase, DEFAULT_ADMIN_URL, type ScratchDatabase } from './lib/database.js';

const env = process.env;
const ADMIN_URL = env.BENCH_DATABASE_ADMIN_URL ?? DEFAULT_ADMIN_URL;
const REDIS_URL = env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/13';
const DURATION_MS = Number(env.BENCH_DURATION_S ?? 60) * 1000;
const CONCURRENCY = Number(env.BENCH_CONCURRENCY ?? 50);
const ACCOUNTS = Number(env.BENCH_ACCOUNTS ?? 20);
const SEED = Number(env.BENCH_SEED ?? 5);
const WORKERS = Number(env.BENCH_WORKERS ?? 1);
const DRAIN_TIMEOUT_MS = Number(env.BENCH_DRAIN_TIMEOUT_S ?? 300) * 1000;
const PREFIX = `benchload${process.pid}`;

type Op = 'create' | 'list' | 'get' | 'patch' | 'search' | 'regenerate';
/** Share of each operation in the mix (of 100). */
const MIX: [Op, number][] = [
  ['create', 20],
  ['list', 15],
  ['get', 25],
  ['patch', 15],
  ['search', 15],
  ['regenerate', 10],
];
const DOOR: Record<Op, 'graphql' | 'rest'> = {
  create: 'graphql',
  list: 'rest',
  get: 'graphql',
  patch: 'rest',
  search: 'graphql',
  regenerate: 'graphql',
};

interface Account {
  key: string;
  sdk: Client;
  conversations: string[];
}
interface Outcome {
  ms: number;
  status: number;
}

const NAMES = ['Tom', 'Anna', 'Priya', 'Lukas', 'Chen', 'Sofia'];
const LINES = [
  'can you send me the pricing sheet by Friday?',
  'sure, I will send it tomorrow morning.',
  'the client is unhappy about the delays on the report.',
  'let us schedule a call next week to go through the budget.',
  'Legal wants to review the contract before we sign.',
  'great, thanks! The demo went really well.',
];
const WORDS = ['pricing', 'contract', 'budget', 'report', 'demo', 'client', '"pricing sheet"', 'delays OR budget', 'call -demo'];
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)];
const chat = () =>
  Array.from(
    { length: 4 + Math.floor(Math.random() * 8) },
    (_, i) => `${NAMES[(i + Math.floor(Math.random() * 2)) % NAMES.length]}: ${pick(LINES)}`,
  ).join('\n');

function chooseOp(): Op {
  let r = Math.random() * 100;
  for (const [op, w] of MIX) if ((r -= w) < 0) return op;
  return 'get';
}

/** HTTP status of an SDK failure (0 = no answer at all). */
const statusOf = (e: unknown) => (e instanceof AImyChatsError ? e.status || (e.code === 'network_error' ? 0 : 500) : 0);

async function rest(base: string, key: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function run(base: string, acc: Account, op: Op): Promise<number> {
  const id = () => pick(acc.conversations);
  try {
    switch (op) {
      case 'create': {
        const r = await acc.sdk.request(CreateConversationDocument, {
          title: `Load ${pick(WORDS)} ${Date.now()}`,
          content: chat(),
          metadata: { bench: 'load' },
        });
        acc.conversations.push(r.createConversation.id);
        return 200;
      }
      case 'get':
        await acc.sdk.request(GetConversationDocument, { id: id() });
        return 200;
      case 'search':
        await acc.sdk.request(SearchConversationsDocument, { query: pick(WORDS), perPage: 20 });
        return 200;
      case 'regenerate':
        await acc.sdk.request(RegenerateSummaryDocument, {
          conversationId: id(),
          style: pick(['concise', 'detailed', 'bullet_points'] as const),
        });
        return 202;
      case 'list':
        return (await rest(base, acc.key, 'GET', `/v1/conversations?per_page=20&page=${1 + Math.floor(Math.random() * 2)}`)).status;
      case 'patch': {
        // One patch in four changes the content (a new summary); the others title and metadata.
        const body =
          Math.random() < 0.25 ? { content: chat() } : { title: `Patched ${Date.now()}`, metadata: { reviewed: Math.random() < 0.5 } };
        return (await rest(base, acc.key, 'PATCH', `/v1/conversations/${id()}`, body)).status;
      }
    }
  } catch (e) {
    if (!(e instanceof AImyChatsError)) throw e;
    return statusOf(e);
  }
}

/** user+system CPU of a process in ms (clock ticks of 10 ms), 0 once it is gone. */
function cpuMs(pid: number | undefined): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
const f = (x: number, w = 7) => (Number.isFinite(x) ? x.toFixed(0) : '-').padStart(w);

async function main(): Promise<void> {
  let scratch: ScratchDatabase | undefined;
  const cleanup = async () => {
    await stopChildren();
    await scratch?.drop();
    await deleteKeys(REDIS_URL, `${PREFIX}:*`).catch(() => {});
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    scratch = await createScratchDatabase('aimychats_load', ADMIN_URL);
    const serverEnv: Record<string, string> = {
      DATABASE_URL: scratch.url,
      REDIS_URL,
      QUEUE_PREFIX: PREFIX,
      RATE_LIMITS_ENABLED: 'false',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      ...Object.fromEntries(['WORKER_CONCURRENCY', 'DATABASE_POOL_SIZE'].filter((k) => env[k]).map((k) => [k, env[k]!])),
    };
    const api = await spawnServer('bench/lib/serve-api.ts', { ...serverEnv, RUN_WORKERS: WORKERS > 0 ? 'false' : 'true' });
    const workers = [];
    for (let w = 0; w < WORKERS; w++) workers.push(await spawnServer('bench/lib/serve-worker.ts', serverEnv));
    const config = loadConfig(serverEnv);
    const accounts: Account[] = [];
    for (let i = 0; i < ACCOUNTS; i++) {
      const { api_key: key } = await createAccount(scratch.db, config, { email: `load${i}@example.com`, plan: 'pro' });
      const acc = { key, sdk: createClient({ url: `${api.url}/graphql`, apiKey: key }), conversations: [] as string[] };
      for (let s = 0; s < SEED; s++) {
        const r = await acc.sdk.request(CreateConversationDocument, { title: `Seed ${s} ${pick(WORDS)}`, content: chat() });
        acc.conversations.push(r.createConversation.id);
      }
      accounts.push(acc);
    }
    console.log(
      `api ${api.url} (pid ${api.pid}), ${WORKERS ? `${WORKERS} worker process(es)` : 'jobs in the API process'}, Redis ${REDIS_URL} prefix ${PREFIX}, database ${scratch.name}`,
    );
    console.log(
      `${ACCOUNTS} accounts × ${SEED} seed conversations; ${CONCURRENCY} in flight for ${DURATION_MS / 1000} s; mix ${MIX.map(([o, w]) => `${o} ${w}% (${DOOR[o]})`).join(', ')}`,
    );

    const outcomes = new Map<Op, Outcome[]>(MIX.map(([o]) => [o, []]));
    const samples: string[] = [];
    const load0 = os.loadavg()[0];
    const apiCpu0 = cpuMs(api.pid);
    const workerCpu0 = workers.reduce((s, w) => s + cpuMs(w.pid), 0);
    const started = performance.now();
    const deadline = started + DURATION_MS;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, slot) => {
        const acc = accounts[slot % accounts.length];
        while (performance.now() < deadline) {
          const op = chooseOp();
          const t0 = performance.now();
          const status = await run(api.url, acc, op).catch((e) => {
            if (samples.length < 5) samples.push(`${op}: ${(e as Error).message}`);
            return 0;
          });
          outcomes.get(op)!.push({ ms: performance.now() - t0, status });
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const apiCpu = cpuMs(api.pid) - apiCpu0;
    const workerCpu = workers.reduce((s, w) => s + cpuMs(w.pid), 0) - workerCpu0;

    const all = [...outcomes.values()].flat();
    console.log(
      `\n${all.length} requests in ${elapsed.toFixed(1)} s: ${(all.length / elapsed).toFixed(1)} req/s; API process CPU ${(apiCpu / all.length).toFixed(1)} ms/request (${((apiCpu / 1000 / elapsed) * 100).toFixed(0)}% of a core), worker CPU ${(workerCpu / 1000).toFixed(1)} s; load average ${load0.toFixed(1)} → ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
    );
    console.log(
      `${'operation'.padEnd(20)}${'count'.padStart(7)}${'req/s'.padStart(8)}${'p50 ms'.padStart(8)}${'p95 ms'.padStart(8)}${'p99 ms'.padStart(8)}${'max ms'.padStart(8)}  statuses`,
    );
    for (const [op, list] of outcomes) {
      const ms = list.map((o) => o.ms).sort((x, y) => x - y);
      const statuses: Record<number, number> = {};
      for (const o of list) statuses[o.status] = (statuses[o.status] ?? 0) + 1;
      console.log(
        `${`${op} (${DOOR[op]})`.padEnd(20)}${f(list.length)}${(list.length / elapsed).toFixed(1).padStart(8)}${f(pct(ms, 50), 8)}${f(pct(ms, 95), 8)}${f(pct(ms, 99), 8)}${f(ms[ms.length - 1], 8)}  ${JSON.stringify(statuses)}`,
      );
    }
    const fiveXx = all.filter((o) => o.status >= 500).length;
    const noAnswer = all.filter((o) => o.status === 0).length;
    console.log(
      `5xx: ${fiveXx} (target 0)${noAnswer ? `; no answer: ${noAnswer}` : ''}${samples.length ? `\n  e.g. ${samples.join('\n  e.g. ')}` : ''}`,
    );

    // Lost writes: every acknowledged create is readable, and gets a completed summary once jobs drain.
    const created = accounts.flatMap((a) => a.conversations.map((id) => ({ id, a })));
    const drainStart = Date.now();
    let pending = created.length;
    while (Date.now() - drainStart < DRAIN_TIMEOUT_MS) {
      const rows = await scratch.db.query<{ n: string }>(
        `SELECT count(*) AS n FROM conversations WHERE id = ANY($1) AND status = 'processing'`,
        [created.map((c) => c.id)],
      );
      pending = Number(rows[0].n);
      if (pending === 0) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    console.log(
      `summaries drained in ${((Date.now() - drainStart) / 1000).toFixed(1)} s${pending ? ` — ${pending} still processing after ${DRAIN_TIMEOUT_MS / 1000} s` : ''}`,
    );
    let lost = 0;
    const problems: string[] = [];
    for (let i = 0; i < created.length; i += 20) {
      await Promise.all(
        created.slice(i, i + 20).map(async ({ id, a }) => {
          try {
            const { conversation } = await a.sdk.request(GetConversationDocument, { id });
            if (conversation.status !== 'completed' || conversation.summary?.status !== 'completed') {
              lost++;
              if (problems.length < 5)
                problems.push(`${id}: status ${conversation.status}, summary ${conversation.summary?.status ?? 'none'}`);
            }
          } catch (e) {
            lost++;
            if (problems.length < 5) problems.push(`${id}: ${(e as Error).message}`);
          }
        }),
      );
    }
    console.log(
      `lost writes: ${lost} of ${created.length} conversations (readable with a completed summary: ${created.length - lost})${problems.length ? `\n  ${problems.join('\n  ')}` : ''}`,
    );
    if (fiveXx || lost) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

main().catch((e) => {
  console.error(`bench failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
