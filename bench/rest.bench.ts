// `npm run bench:rest` (issue 14): the read endpoints, in the state real use leaves the database in and in
// the settled state, against a floor measured in the same run.
//
// For each account size (BENCH_SIZES, default 4000,20000): a fresh database; the conversations are created
// through POST /v1/conversations (16 in flight) and their summaries made by the real summary jobs (the
// local summarizer, in-process); nothing is vacuumed or analysed by hand (autovacuum runs as it would;
// pg_stat_user_tables is printed so that the state is visible). Then, in two states — "api-written" (as
// left) and "settled" (after VACUUM ANALYZE of conversations and summaries) — each target is loaded with
// autocannon (10 connections, BENCH_WARMUP s warm-up + BENCH_SECONDS s, BENCH_ROUNDS interleaved rounds,
// best run kept: neighbours only ever slow a run down):
//   floor      node:http + pg, `SELECT id, title, source, status, created_at, updated_at, summary,
//              count(*) OVER() … ORDER BY created_at DESC LIMIT 20` over a plain copy of the same rows
//              (index on account and created_at, analysed, not vacuumed; bench/lib/serve-floor.ts)
//   floor-get  the same server, `GET /v1/conversations/{id}`: one statement by primary key over the real
//              conversations and summaries — the floor of the single reads (get and summaries compare to it)
//   rest       GET /v1/conversations?page=1&per_page=20
//   graphql    the equivalent GraphQL query
//   get        GET /v1/conversations/{id}
//   summaries  GET /v1/conversations/{id}/summaries
// Targets: rest and graphql ≥ 0.75× the floor's requests/s in both states and sizes; p99 ≤ 3× p50.
// p50 and p99 are computed from every response's time (autocannon's own are whole milliseconds).
// Not a test: numbers depend on the machine and on its neighbours.
//
// Environment (all optional): BENCH_DATABASE_ADMIN_URL (default postgres://root@127.0.0.1:5432/postgres),
// BENCH_SIZES ("4000,20000"), BENCH_STATES ("api-written,settled"), BENCH_SECONDS (10), BENCH_WARMUP (3),
// BENCH_WRITE=replay (the same row writes set-based, without HTTP and the summarizer: bench/lib/api-writer.ts;
// minutes instead of most of an hour for 20,000 on a busy machine), BENCH_ROUNDS (2), BENCH_ONLY (e.g. "floor,rest"), BENCH_WRITERS (16 POSTs in flight), BENCH_EXPLAIN=1
// (prints EXPLAIN (ANALYZE, BUFFERS) of the list statement in each state),
// BENCH_CPU_PROF_DIR (servers run with --cpu-prof, profiles written there on exit), BENCH_NODE_ARGS (more
// node flags for the measured servers, e.g. "--max-semi-space-size=64"), BENCH_ACCOUNTING=1 adds
// issue 7's variants (`rest-off`: accounting removed, `rest-lim`: limits on in memory; with BENCH_REDIS_URL
// also `rest-rds`: limits on with counters in that Redis).
import fs from 'node:fs';
import autocannon, { type Result } from 'autocannon';
import { loadConfig } from '../src/config.js';
import { deleteKeys } from '../src/lib/redis.js';
import { createAccount } from '../src/modules/accounts/create-account.js';
import { buildListQuery } from '../src/modules/conversations/list-conversations.js';
import { createFloorTable, replayApiWrites, tableState, waitForSummaries, writeThroughApi } from './lib/api-writer.js';
import { spawnServer, stopChild, stopChildren } from './lib/child-server.js';
import { createScratchDatabase, DEFAULT_ADMIN_URL } from './lib/database.js';

const env = process.env;
const ADMIN_URL = env.BENCH_DATABASE_ADMIN_URL ?? DEFAULT_ADMIN_URL;
const SECONDS = Number(env.BENCH_SECONDS ?? 10);
const WARMUP = Number(env.BENCH_WARMUP ?? 3);
const ROUNDS = Number(env.BENCH_ROUNDS ?? 2);
const SIZES = (env.BENCH_SIZES ?? '4000,20000').split(',').map(Number);
const STATES = (env.BENCH_STATES ?? 'api-written,settled').split(',') as ('api-written' | 'settled')[];
const WRITERS = Number(env.BENCH_WRITERS ?? 16);
const REPLAY = env.BENCH_WRITE === 'replay';
const PROFILE_DIR = env.BENCH_CPU_PROF_DIR;
const EXPLAIN = env.BENCH_EXPLAIN === '1';
const CONNECTIONS = 10;
const profileArgs = [
  ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []),
  ...(env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
];
const TARGET = 0.75;
const TAIL = 3; // p99 ≤ 3× p50
const LIST_PATH = '/v1/conversations?page=1&per_page=20';
const GQL = `{ conversations(page: 1, perPage: 20) { data { id title source status createdAt updatedAt
  summary { title content sentiment topics } } meta { page perPage total totalPages } links { first last prev next } } }`;
const TICK_MS = 10; // /proc CPU times are in clock ticks (USER_HZ = 100 on Linux)

interface Target {
  name: string;
  pid: number;
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  list: boolean;
}
interface Run {
  target: string;
  rps: number;
  p50: number;
  p99: number;
  bad: number;
  nodeMs: number;
  pgMs: number;
}
/** The baselines: a minimal node:http + pg server (bench/lib/serve-floor.ts), never held to a target. */
const isFloor = (target: string) => target === 'floor' || target === 'floor-get';

interface Line {
  size: number;
  state: string;
  run: Run;
  ratio?: number;
}

/** Nearest-rank percentile of response times in ms (0 for none). */
function percentile(values: number[], q: number): number {
  if (!values.length) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

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

/** One request through each door before loading it: right status; list doors return the same 20 ids
 *  and the exact total. */
async function check(targets: Target[], size: number): Promise<void> {
  let ids: string | undefined;
  for (const t of targets) {
    const res = await fetch(t.url, { method: t.method, headers: t.headers, body: t.body });
    const text = await res.text();
    const json = JSON.parse(text);
    if (res.status !== 200 || json.errors) throw new Error(`${t.name}: unexpected answer ${res.status} ${text.slice(0, 300)}`);
    if (t.list) {
      const page = t.name === 'graphql' ? json.data?.conversations : json;
      if (page?.data?.length !== 20 || (page.meta.total ?? 0) !== size) throw new Error(`${t.name}: unexpected page ${text.slice(0, 300)}`);
      const these = page.data.map((c: { id: string }) => c.id).join();
      if (ids !== undefined && these !== ids) throw new Error(`${t.name}: returns other conversations than the floor`);
      ids ??= these;
    }
    console.log(`  ${t.name.padEnd(9)} ${t.method} ${new URL(t.url).pathname}: ${res.status}, ${Buffer.byteLength(text)} bytes`);
  }
}

async function measure(t: Target, pgPids: () => Promise<number[]>): Promise<Run> {
  const opts = { url: t.url, connections: CONNECTIONS, method: t.method, headers: t.headers, body: t.body };
  if (WARMUP > 0) await autocannon({ ...opts, duration: WARMUP }); // JIT, pool connections, key cache
  const backends = await pgPids(); // the pool's connections, open after the warm-up
  const node0 = cpuMs(t.pid);
  const pg0 = backends.map(cpuMs);
  // autocannon's own percentiles are whole milliseconds (its histogram's lowest discernible value is
  // 1 ms): at a 6 ms median that alone moves p99/p50 by up to a sixth. Every response's time is kept
  // instead, to the microsecond.
  const times: number[] = [];
  const job = autocannon({ ...opts, duration: SECONDS });
  job.on('response', (_client, _status, _bytes, ms) => times.push(ms));
  const r: Result = await job;
  const n = Math.max(1, r.requests.total);
  const pgMs = backends.reduce((sum, pid, i) => sum + Math.max(0, cpuMs(pid) - pg0[i]), 0);
  const run = {
    target: t.name,
    rps: r.requests.average,
    p50: percentile(times, 0.5),
    p99: percentile(times, 0.99),
    bad: r.non2xx + r.errors + r.timeouts,
    nodeMs: (cpuMs(t.pid) - node0) / n,
    pgMs: pgMs / n,
  };
  console.log(`  ${row(run)}${run.bad ? `   non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts}` : ''}`);
  if (run.bad)
    throw new Error(`${t.name}: ${r.non2xx} non-2xx answers, ${r.errors} errors, ${r.timeouts} timeouts — the numbers are not valid`);
  return run;
}

const fmt = (x: number, w: number, d = 0) => x.toFixed(d).padStart(w);
const row = (r: Run) =>
  `${r.target.padEnd(9)}${fmt(r.rps, 7)} req/s  p50 ${fmt(r.p50, 5, 1)} ms  p99 ${fmt(r.p99, 6, 1)} ms  CPU/req: node ${fmt(r.nodeMs, 5, 2)} ms, postgres ${fmt(r.pgMs, 5, 2)} ms`;

async function benchSize(size: number, lines: Line[]): Promise<void> {
  let started = Date.now();
  const { name: dbName, url: DATABASE_URL, db, drop } = await createScratchDatabase('aimychats_bench', ADMIN_URL);
  const redisPrefix = `bench_${process.pid}_${Date.now()}`;
  try {
    const unreachable = JSON.stringify({ pro: { storageLimitMb: 20000, requestsPerDay: 2 ** 31 - 1, requestsPerMinute: 2 ** 31 - 1 } });
    const serverEnv = {
      DATABASE_URL,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      RATE_LIMITS_ENABLED: 'false',
      PLANS_JSON: unreachable,
    };
    const { account, api_key } = await createAccount(db, loadConfig(serverEnv), { email: 'bench@example.com', plan: 'pro' });
    console.log(`\n=== ${size} conversations — database ${dbName}`);
    // The writing server runs the summary jobs in-process; it is stopped once they are done, and a fresh
    // one is measured (the floor is a fresh process too).
    const progress = (n: number) => process.stdout.write(`  ${n} created (${Math.round((n / (Date.now() - started)) * 1000)}/s)\r`);
    if (REPLAY) {
      await replayApiWrites(db, account.id, size, progress);
      console.log(
        `  ${size} written by BENCH_WRITE=replay (the API's row writes, set-based) in ${((Date.now() - started) / 1000).toFixed(0)} s`,
      );
    } else {
      const writer = await spawnServer('bench/lib/serve-api.ts', serverEnv);
      await writeThroughApi(writer.url, api_key, size, WRITERS, progress);
      console.log(`  ${size} created through POST /v1/conversations in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      await waitForSummaries(db, account.id);
      await stopChild(writer);
    }
    console.log(
      `  all summaries completed ${((Date.now() - started) / 1000).toFixed(0)} s after the first POST; table state:\n${await tableState(db)}`,
    );
    await createFloorTable(db);

    const limited = { ...serverEnv, RATE_LIMITS_ENABLED: 'true' };
    const accounting = env.BENCH_ACCOUNTING === '1';
    const [api, floor, apiOff, apiLim, apiRedis] = await Promise.all([
      spawnServer('bench/lib/serve-api.ts', serverEnv, profileArgs),
      spawnServer('bench/lib/serve-floor.ts', { ...serverEnv, ACCOUNT_ID: account.id }, profileArgs),
      accounting ? spawnServer('bench/lib/serve-api.ts', { ...serverEnv, BENCH_NO_ACCOUNTING: '1' }, profileArgs) : undefined,
      accounting ? spawnServer('bench/lib/serve-api.ts', limited, profileArgs) : undefined,
      accounting && env.BENCH_REDIS_URL
        ? spawnServer('bench/lib/serve-api.ts', { ...limited, REDIS_URL: env.BENCH_REDIS_URL, QUEUE_PREFIX: redisPrefix }, profileArgs)
        : undefined,
    ]);
    // A conversation from the middle of the account for the single-item reads.
    const [mid] = await db.query<{ id: string }>(
      `SELECT id FROM conversations WHERE account_id = $1 ORDER BY created_at OFFSET $2 LIMIT 1`,
      [account.id, Math.floor(size / 2)],
    );
    const auth = { Authorization: `Bearer ${api_key}` };
    const list = (name: string, s: { pid?: number; url: string }): Target => ({
      name,
      pid: s.pid!,
      url: `${s.url}${LIST_PATH}`,
      method: 'GET',
      headers: auth,
      list: true,
    });
    const all: Target[] = [
      { ...list('floor', floor), headers: {} },
      { name: 'floor-get', pid: floor.pid!, url: `${floor.url}/v1/conversations/${mid.id}`, method: 'GET', headers: {}, list: false },
      list('rest', api),
      {
        name: 'graphql',
        pid: api.pid!,
        url: `${api.url}/graphql`,
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ query: GQL }),
        list: true,
      },
      { name: 'get', pid: api.pid!, url: `${api.url}/v1/conversations/${mid.id}`, method: 'GET', headers: auth, list: false },
      {
        name: 'summaries',
        pid: api.pid!,
        url: `${api.url}/v1/conversations/${mid.id}/summaries`,
        method: 'GET',
        headers: auth,
        list: false,
      },
      ...(apiOff ? [list('rest-off', apiOff)] : []),
      ...(apiLim ? [list('rest-lim', apiLim)] : []),
      ...(apiRedis ? [list('rest-rds', apiRedis)] : []),
    ];
    const only = env.BENCH_ONLY?.split(',');
    const targets = all.filter((t) => !only || only.includes(t.name));
    await check(targets, size);
    const pgPids = async () =>
      (await db.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [dbName])).map(
        (r) => r.pid,
      );

    for (const state of STATES) {
      if (state === 'settled') {
        started = Date.now();
        await db.query('VACUUM ANALYZE conversations, summaries');
        console.log(`\n  VACUUM ANALYZE conversations, summaries: ${Date.now() - started} ms`);
      }
      console.log(`\n  -- ${size} / ${state}: table state before measuring\n${await tableState(db)}`);
      if (EXPLAIN) {
        // The list statement exactly as the REST and GraphQL doors send it (buildListQuery).
        const q = buildListQuery(account.id, { page: 1, perPage: 20, sort: '-created_at' });
        const plan = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${q.text}`, q.values);
        console.log(`  EXPLAIN (ANALYZE, BUFFERS) of the list statement:\n${plan.map((r) => `    ${r['QUERY PLAN']}`).join('\n')}`);
      }
      console.log(
        `  autocannon: ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${SECONDS} s measured per run, ${ROUNDS} interleaved round(s)`,
      );
      const runs: Run[] = [];
      for (let round = 1; round <= ROUNDS; round++) for (const t of targets) runs.push(await measure(t, pgPids));
      console.log(`  table state after measuring\n${await tableState(db)}`);
      const best = new Map<string, Run>();
      for (const t of targets)
        best.set(
          t.name,
          runs.filter((r) => r.target === t.name).reduce((a, b) => (b.rps > a.rps ? b : a)),
        );
      for (const t of targets) {
        const base = best.get(t.list ? 'floor' : 'floor-get');
        lines.push({
          size,
          state,
          run: best.get(t.name)!,
          ratio: base && !isFloor(t.name) ? best.get(t.name)!.rps / base.rps : undefined,
        });
      }
    }
    await Promise.all([floor, api, apiOff, apiLim, apiRedis].filter((c) => c !== undefined).map((c) => stopChild(c)));
  } finally {
    await stopChildren();
    await drop();
    if (env.BENCH_REDIS_URL) await deleteKeys(env.BENCH_REDIS_URL, `${redisPrefix}:*`);
  }
}

async function main(): Promise<void> {
  process.once('SIGINT', () => void stopChildren().finally(() => process.exit(130)));
  const lines: Line[] = [];
  for (const size of SIZES) await benchSize(size, lines);

  // Best run of each target; markdown, as pasted into bench/README.md.
  console.log('\n| conversations | state | target | req/s | p50 | p99 | ×floor | p99/p50 |');
  console.log('|---|---|---|---|---|---|---|---|');
  const misses: string[] = [];
  for (const l of lines) {
    const r = l.run;
    const tail = r.p99 / Math.max(0.001, r.p50);
    console.log(
      `| ${l.size} | ${l.state} | ${r.target} | ${Math.round(r.rps)} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${l.ratio === undefined ? '' : `${l.ratio.toFixed(2)}×`} | ${tail.toFixed(2)} |`,
    );
    if ((r.target === 'rest' || r.target === 'graphql') && (l.ratio ?? 1) < TARGET)
      misses.push(`${l.size}/${l.state}/${r.target} ${l.ratio!.toFixed(2)}× < ${TARGET}×`);
    if (!isFloor(r.target) && tail > TAIL)
      misses.push(`${l.size}/${l.state}/${r.target} p99 ${r.p99.toFixed(1)} > ${TAIL}× p50 ${r.p50.toFixed(1)}`);
  }
  console.log(misses.length ? `\nBELOW target: ${misses.join('; ')}` : `\nall targets met (list ≥ ${TARGET}× floor, p99 ≤ ${TAIL}× p50)`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`bench failed: ${(e as Error).stack ?? e}`);
    void stopChildren().finally(() => process.exit(1));
  },
);
