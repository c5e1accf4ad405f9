// `npm run bench:rest`: "page 1 of 20, newest first, with total" over 10,000 conversations of one account,
// served three ways in one run — GET /v1/conversations (Sofa), the equivalent GraphQL query (yoga), and the
// floor (node:http + pg running the very same SQL) — measured with autocannon. Target: REST and GraphQL
// each ≥ 0.6× the floor's requests/s. Not a test: numbers depend on the machine and on its neighbours.
//
// Environment (all optional): BENCH_DATABASE_ADMIN_URL (default postgres://root@127.0.0.1:5432/postgres),
// BENCH_SECONDS (measured seconds per run, 10), BENCH_WARMUP (3), BENCH_ROUNDS (2), BENCH_ONLY
// (e.g. "floor,rest"), BENCH_CPU_PROF_DIR (run both servers with --cpu-prof, profiles written there on exit),
// BENCH_CONVERSATIONS (10000; a small account makes the SQL cheap, which exposes the doors' own overhead),
// BENCH_REDIS_URL (adds `rest-rds`: limits on, counters in that Redis — as a multi-instance deployment runs).
//
// Accounting (issue 7): `rest` runs as benchmarks and bulk imports do, RATE_LIMITS_ENABLED=false (requests
// still counted, headers still set); `rest-off` is the same server with accounting and limiting removed;
// `rest-lim` has limits on (in memory; a plan with limits too high to reach). Target: ≤ 10% below rest-off.
import fs from 'node:fs';
import autocannon, { type Result } from 'autocannon';
import { loadConfig } from '../src/config.js';
import { deleteKeys } from '../src/lib/redis.js';
import { createAccount } from '../src/modules/accounts/create-account.js';
import { spawnServer, stopChildren } from './lib/child-server.js';
import { createScratchDatabase, DEFAULT_ADMIN_URL } from './lib/database.js';
import { seedConversations } from './lib/seed.js';

const env = process.env;
const ADMIN_URL = env.BENCH_DATABASE_ADMIN_URL ?? DEFAULT_ADMIN_URL;
const SECONDS = Number(env.BENCH_SECONDS ?? 10);
const WARMUP = Number(env.BENCH_WARMUP ?? 3);
const ROUNDS = Number(env.BENCH_ROUNDS ?? 2);
const PROFILE_DIR = env.BENCH_CPU_PROF_DIR;
const CONVERSATIONS = Number(env.BENCH_CONVERSATIONS ?? 10_000);
const CONNECTIONS = 10;
const profileArgs = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
const TARGET = 0.6;
const ACCOUNTING_TARGET = 0.9; // rest and rest-lim vs rest-off
const LIST_PATH = '/v1/conversations?page=1&per_page=20';
const GQL = `{ conversations(page: 1, perPage: 20) { data { id title source status createdAt updatedAt
  summary { title content sentiment topics } } meta { page perPage total totalPages } links { first last prev next } } }`;
const TICK_MS = 10; // /proc CPU times are in clock ticks (USER_HZ = 100 on Linux)

interface Target { name: string; pid: number; url: string; method: 'GET' | 'POST'; headers: Record<string, string>; body?: string }
interface Run { target: string; rps: number; p50: number; p99: number; bad: number; nodeMs: number; pgMs: number }

/** user+system CPU of a process in ms, or 0 if it is gone (a backend may be recycled). */
function cpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from #3 on; comm may contain spaces
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** One request through each door before loading it: right status, same 20 ids, same total — and the size. */
async function check(targets: Target[]): Promise<void> {
  let ids: string | undefined;
  for (const t of targets) {
    const res = await fetch(t.url, { method: t.method, headers: t.headers, body: t.body });
    const text = await res.text();
    const json = JSON.parse(text);
    const page = t.name === 'graphql' ? json.data?.conversations : json;
    if (res.status !== 200 || json.errors || page?.data?.length !== 20 || (page.meta.total ?? 0) !== CONVERSATIONS) {
      throw new Error(`${t.name}: unexpected answer ${res.status} ${text.slice(0, 300)}`);
    }
    const these = page.data.map((c: { id: string }) => c.id).join();
    if (ids !== undefined && these !== ids) throw new Error(`${t.name}: returns other conversations than the floor`);
    ids ??= these;
    console.log(`  ${t.name.padEnd(8)} ${t.method} ${new URL(t.url).pathname}: ${res.status}, ${Buffer.byteLength(text)} bytes`);
  }
}

async function measure(t: Target, pgPids: () => Promise<number[]>): Promise<Run> {
  const opts = { url: t.url, connections: CONNECTIONS, method: t.method, headers: t.headers, body: t.body };
  if (WARMUP > 0) await autocannon({ ...opts, duration: WARMUP }); // JIT, pool connections, key cache
  const backends = await pgPids(); // the pool's connections, open after the warm-up
  const node0 = cpuMs(t.pid);
  const pg0 = backends.map(cpuMs);
  const r: Result = await autocannon({ ...opts, duration: SECONDS });
  const n = Math.max(1, r.requests.total);
  const pgMs = backends.reduce((sum, pid, i) => sum + Math.max(0, cpuMs(pid) - pg0[i]), 0);
  const run = { target: t.name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, bad: r.non2xx + r.errors + r.timeouts, nodeMs: (cpuMs(t.pid) - node0) / n, pgMs: pgMs / n };
  console.log(`  ${row(run)}${run.bad ? `   non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts}` : ''}`);
  if (run.bad) throw new Error(`${t.name}: ${r.non2xx} non-2xx answers, ${r.errors} errors, ${r.timeouts} timeouts — the numbers are not valid`);
  return run;
}

const fmt = (x: number, w: number, d = 0) => x.toFixed(d).padStart(w);
const row = (r: Run) =>
  `${r.target.padEnd(8)}${fmt(r.rps, 8)} req/s  p50 ${fmt(r.p50, 3)} ms  p99 ${fmt(r.p99, 4)} ms  non-2xx ${r.bad}  CPU/req: node ${fmt(r.nodeMs, 5, 2)} ms, postgres ${fmt(r.pgMs, 5, 2)} ms`;

async function main(): Promise<void> {
  let started = Date.now();
  const { name: dbName, url: DATABASE_URL, db, drop } = await createScratchDatabase('aimychats_bench', ADMIN_URL);
  const redisPrefix = `bench_${process.pid}_${Date.now()}`;
  const cleanup = async () => {
    await stopChildren();
    await drop();
    if (env.BENCH_REDIS_URL) await deleteKeys(env.BENCH_REDIS_URL, `${redisPrefix}:*`);
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    const { account, api_key } = await createAccount(db, loadConfig({ DATABASE_URL }), { email: 'bench@example.com', plan: 'pro' });
    await seedConversations(db, account.id, CONVERSATIONS);
    console.log(`database ${dbName}: ${CONVERSATIONS} conversations seeded in ${Date.now() - started} ms`);

    started = Date.now();
    const serverEnv = { DATABASE_URL, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'production', RATE_LIMITS_ENABLED: 'false' };
    const unreachable = JSON.stringify({ pro: { storageLimitMb: 2000, requestsPerDay: 2 ** 31 - 1, requestsPerMinute: 2 ** 31 - 1 } });
    const limited = { ...serverEnv, RATE_LIMITS_ENABLED: 'true', PLANS_JSON: unreachable };
    const [floor, api, apiOff, apiLim, apiRedis] = await Promise.all([
      spawnServer('bench/lib/serve-floor.ts', { ...serverEnv, ACCOUNT_ID: account.id }, profileArgs),
      spawnServer('bench/lib/serve-api.ts', serverEnv, profileArgs),
      spawnServer('bench/lib/serve-api.ts', { ...serverEnv, BENCH_NO_ACCOUNTING: '1' }, profileArgs),
      spawnServer('bench/lib/serve-api.ts', limited, profileArgs),
      env.BENCH_REDIS_URL ? spawnServer('bench/lib/serve-api.ts', { ...limited, REDIS_URL: env.BENCH_REDIS_URL, QUEUE_PREFIX: redisPrefix }, profileArgs) : undefined,
    ]);
    console.log(`servers up in ${Date.now() - started} ms: floor ${floor.url} (pid ${floor.pid}), api ${api.url} (pid ${api.pid})`);

    const auth = { Authorization: `Bearer ${api_key}` };
    const all: Target[] = [
      { name: 'floor', pid: floor.pid!, url: `${floor.url}${LIST_PATH}`, method: 'GET', headers: {} },
      { name: 'rest-off', pid: apiOff.pid!, url: `${apiOff.url}${LIST_PATH}`, method: 'GET', headers: auth },
      { name: 'rest', pid: api.pid!, url: `${api.url}${LIST_PATH}`, method: 'GET', headers: auth },
      { name: 'rest-lim', pid: apiLim.pid!, url: `${apiLim.url}${LIST_PATH}`, method: 'GET', headers: auth },
      ...(apiRedis ? [{ name: 'rest-rds', pid: apiRedis.pid!, url: `${apiRedis.url}${LIST_PATH}`, method: 'GET' as const, headers: auth }] : []),
      { name: 'graphql', pid: api.pid!, url: `${api.url}/graphql`, method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ query: GQL }) },
    ];
    const only = env.BENCH_ONLY?.split(',');
    const targets = all.filter((t) => !only || only.includes(t.name));
    await check(targets);

    // Both servers' pools talk to this database; the backends of the server under load do the work.
    const pgPids = async () =>
      (await db.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [dbName])).map((r) => r.pid);
    console.log(`\nautocannon: ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${SECONDS} s measured per run, ${ROUNDS} interleaved round(s)`);
    const runs: Run[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`round ${round}`);
      for (const t of targets) runs.push(await measure(t, pgPids));
    }

    // Best run per target: neighbours on a shared machine only ever slow a run down, so the best one is
    // the least disturbed; the mean is shown beside it.
    console.log('\nbest run of each target (mean req/s of all its runs in brackets)');
    const best = new Map<string, Run>();
    for (const t of targets) {
      const mine = runs.filter((r) => r.target === t.name);
      const top = mine.reduce((a, b) => (b.rps > a.rps ? b : a));
      best.set(t.name, top);
      console.log(`  ${row(top)}  [mean ${fmt(mine.reduce((s, r) => s + r.rps, 0) / mine.length, 0)}]`);
    }
    const bare = best.get('rest-off');
    if (bare) {
      for (const t of targets.filter((x) => x.name.startsWith('rest') && x.name !== 'rest-off')) {
        const ratio = best.get(t.name)!.rps / bare.rps;
        console.log(`  ${t.name}/rest-off = ${ratio.toFixed(2)}× (accounting overhead ${((1 - ratio) * 100).toFixed(1)}%)  ${ratio >= ACCOUNTING_TARGET ? 'meets' : 'BELOW'} the ≤10% target`);
      }
    }
    const base = best.get('floor');
    if (base) {
      for (const t of targets.filter((x) => x.name === 'rest' || x.name === 'graphql')) {
        const ratio = best.get(t.name)!.rps / base.rps;
        console.log(`  ${t.name}/floor = ${ratio.toFixed(2)}×  ${ratio >= TARGET ? 'meets' : 'BELOW'} the ${TARGET}× target`);
      }
    }
  } finally {
    await cleanup();
  }
  if (PROFILE_DIR) console.log(`CPU profiles of the servers: ${PROFILE_DIR}/*.cpuprofile`);
}

main().catch((e) => {
  console.error(`bench failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
