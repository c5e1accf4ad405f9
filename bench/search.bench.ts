// `npm run bench:search`: search latency at scale. A fresh database gets 200,000 generated conversations
// in one account (bench/lib/search-corpus.ts: common, mid-frequency and rare words, order numbers) plus
// smaller accounts beside it, written set-based so that the triggers build every tsvector (that INSERT's
// rate is the indexing throughput). Then 50 representative 1–3 word queries go one at a time through the
// real HTTP API (POST /v1/conversations/search, snippets on, server in a child process), and the bench
// prints p50/p95 of the client's round trip and of the server's own `meta.took_ms`.
// Target (issue 4): p95 ≤ 50 ms on PostgreSQL. Not a test: numbers depend on the machine and its neighbours.
//
// `-- --engine opensearch` (issue 13): after PostgreSQL, the same database is indexed into OpenSearch
// (a node of tools/opensearch, or SEARCH_URL) with `_bulk` through `search reindex`'s code — its rate is
// OpenSearch's indexing throughput — and a second API server with SEARCH_ENGINE=opensearch answers the
// same queries; both are printed side by side, PostgreSQL being the baseline. Target: p95 ≤ 30 ms.
//
// After seeding, VACUUM ANALYZE (what autovacuum would have done in a deployment long before 200,000
// conversations: it also merges the GIN index's pending list), timed and printed on its own line.
//
// BENCH_STATE=api-written skips that VACUUM: the state writes leave (issue 14).
// Environment (all optional): BENCH_DATABASE_ADMIN_URL, BENCH_CONVERSATIONS (200000), BENCH_OTHER_ACCOUNTS
// (3, of 5,000 each), BENCH_ROUNDS (3 measured passes over the 50 queries), BENCH_WARMUP_ROUNDS and
// BENCH_WARMUP_SECONDS (before them, not measured: at least 3 passes and 60 s of queries per engine).
// Seeding 200,000 takes a quarter of an hour here; to measure again without it: BENCH_KEEP=1 keeps the
// database (its name is printed), BENCH_DATABASE=<that name> reuses it (pending migrations are applied,
// a new API key is made for the bench account, nothing is seeded, and it is kept).
import { loadConfig } from '../src/config.js';
import { openPostgres } from '../src/lib/db.js';
import { newId } from '../src/lib/ids.js';
import { createLogger } from '../src/lib/logger.js';
import { applyMigrations } from '../src/lib/migrate.js';
import { generateSecret } from '../src/modules/accounts/api-key-secret.js';
import { createAccount } from '../src/modules/accounts/create-account.js';
import { tableState } from './lib/api-writer.js';
import { spawnServer, stopChild, stopChildren } from './lib/child-server.js';
import { createScratchDatabase, DEFAULT_ADMIN_URL, type ScratchDatabase } from './lib/database.js';
import { seedSearchCorpus, VOCABULARY } from './lib/search-corpus.js';
import { attachSummaries } from './lib/seed.js';
import { engineOption, openSearchForBench, waitForMerges } from './lib/opensearch.js';
import { searchServices } from '../src/modules/search/search-engine.js';

const env = process.env;
const CONVERSATIONS = Number(env.BENCH_CONVERSATIONS ?? 200_000);
const OTHERS = Number(env.BENCH_OTHER_ACCOUNTS ?? 3);
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3);
const WARMUP_ROUNDS = Math.max(1, Number(env.BENCH_WARMUP_ROUNDS ?? 3));
const WARMUP_SECONDS = Number(env.BENCH_WARMUP_SECONDS ?? 60);
const TARGET_P95 = 50;

/** 50 queries: words from the head, middle and tail of the vocabulary, names and filler in most
 *  conversations, phrases, OR, exclusion, order numbers, a typo (fuzzy fallback) and a miss. */
function queries(orderNumbers: string[]): string[] {
  const v = (i: number) => VOCABULARY[Math.min(VOCABULARY.length - 1, i)].toLowerCase();
  const n = VOCABULARY.length;
  return [
    v(0),
    v(1),
    v(2),
    v(3),
    v(5),
    v(8),
    v(12),
    v(20),
    v(30),
    v(45),
    v(60),
    v(80),
    v(100),
    v(130),
    v(160),
    v(200),
    v(n - 5),
    v(n - 1),
    'call',
    'update',
    'Priya',
    'spreadsheet',
    'finance',
    'delayed',
    'notes',
    `${v(0)} ${v(1)}`,
    `${v(2)} ${v(40)}`,
    `${v(10)} ${v(150)}`,
    `${v(n - 3)} ${v(0)}`,
    `Grace ${v(4)}`,
    `${v(6)} ${v(7)} ${v(9)}`,
    `${v(25)} ${v(70)} ${v(n - 10)}`,
    'pending finance approval',
    '"updated contract"',
    '"delayed again"',
    '"sign off"',
    `"${v(3)} call"`,
    `"waiting two weeks" ${v(1)}`,
    `${v(0)} OR ${v(90)}`,
    `${v(15)} -${v(0)}`,
    `${v(35)} OR ${v(120)} OR ${v(n - 2)}`,
    ...orderNumbers.slice(0, 4),
    `${orderNumbers[4]} ${v(2)}`,
    'invoise',
    'kubernettes',
    'zebracorn',
    'quarterly',
  ].slice(0, 50);
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

const BENCH_EMAIL = 'bench@example.com';

/** A database seeded by an earlier BENCH_KEEP=1 run, brought up to date; never dropped. */
async function reuseDatabase(name: string, adminUrl: string): Promise<ScratchDatabase> {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const log = createLogger('silent');
  const db = openPostgres(u.toString(), 2, log);
  await applyMigrations(db, log);
  return { name, url: u.toString(), db, drop: () => db.close() };
}

/** One engine's latency through the HTTP API (a server in a child process configured by `env`). */
async function measure(label: string, env: Record<string, string>, api_key: string, list: string[]) {
  const started = Date.now();
  const api = await spawnServer('bench/lib/serve-api.ts', env);
  console.log(`\n== ${label}: server up in ${Date.now() - started} ms: ${api.url}`);
  const headers = { Authorization: `Bearer ${api_key}`, 'Content-Type': 'application/json' };
  const search = async (query: string) => {
    const t0 = performance.now();
    const res = await fetch(`${api.url}/v1/conversations/search`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, per_page: 20 }),
    });
    const body = (await res.json()) as { data: { snippet: string }[]; meta: { total: number; took_ms: number } };
    if (res.status !== 200) throw new Error(`"${query}": ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    return {
      ms: performance.now() - t0,
      took: body.meta.took_ms,
      total: body.meta.total,
      hits: body.data.length,
      marked: body.data.some((h) => h.snippet.includes('<mark>')),
    };
  };

  // The list endpoint's `search` parameter goes through the same engine.
  const listed = await fetch(`${api.url}/v1/conversations?search=${encodeURIComponent(list[0])}&per_page=5`, { headers });
  const lb = (await listed.json()) as { data: unknown[]; meta: { total: number } };
  console.log(`list ?search=${list[0]}: ${listed.status}, ${lb.data?.length} rows, total ${lb.meta?.total}`);

  const warm = new Map<string, Awaited<ReturnType<typeof search>>>();
  // Warm-up: caches, pool connections, and the JIT — a freshly started JVM compiles its hot paths over
  // the first thousands of queries, and a node in service is warm. Both engines get the same warm-up:
  // at least WARMUP_ROUNDS passes and WARMUP_SECONDS of queries.
  const warmStart = Date.now();
  let passes = 0;
  while (passes < WARMUP_ROUNDS || Date.now() - warmStart < WARMUP_SECONDS * 1000) {
    for (const q of list) warm.set(q, await search(q));
    passes++;
  }
  console.log(`warm-up: ${passes} passes over the ${list.length} queries in ${((Date.now() - warmStart) / 1000).toFixed(0)} s`);
  const client: number[] = [];
  const server: number[] = [];
  const perQuery = new Map<string, number[]>(list.map((q) => [q, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const q of list) {
      const r = await search(q);
      client.push(r.ms);
      server.push(r.took);
      perQuery.get(q)!.push(r.took);
    }
  }
  console.log(`\n${list.length} queries × ${ROUNDS} rounds, one at a time, per_page 20 with snippets:`);
  console.log(`  server took_ms  p50 ${pct(server, 50)} ms  p95 ${pct(server, 95)} ms  max ${Math.max(...server)} ms`);
  console.log(
    `  client HTTP     p50 ${pct(client, 50).toFixed(1)} ms  p95 ${pct(client, 95).toFixed(1)} ms  max ${Math.max(...client).toFixed(1)} ms`,
  );
  if (label === 'PostgreSQL')
    console.log(`  p95 ${pct(server, 95) <= TARGET_P95 ? 'meets' : 'MISSES'} the ${TARGET_P95} ms target (server side)`);
  console.log('\nper query (median took_ms, total matches, hits, snippets marked):');
  for (const q of list) {
    const w = warm.get(q)!;
    console.log(
      `  ${String(pct(perQuery.get(q)!, 50)).padStart(4)} ms  ${String(w.total).padStart(6)}  ${String(w.hits).padStart(2)}  ${w.marked ? 'y' : '-'}  ${q}`,
    );
  }
  await stopChild(api);
  return { label, server, client };
}

async function main(): Promise<void> {
  const adminUrl = env.BENCH_DATABASE_ADMIN_URL ?? DEFAULT_ADMIN_URL;
  const reuse = env.BENCH_DATABASE;
  const keep = Boolean(reuse) || env.BENCH_KEEP === '1';
  const scratch = reuse ? await reuseDatabase(reuse, adminUrl) : await createScratchDatabase('aimychats_searchbench', adminUrl);
  const { db, url: DATABASE_URL } = scratch;
  const cleanup = async () => {
    await stopChildren();
    if (keep) {
      await scratch.db.close().catch(() => {});
      console.log(`database kept: BENCH_DATABASE=${scratch.name} (drop it with: psql -c 'DROP DATABASE ${scratch.name}')`);
    } else await scratch.drop();
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    let account: { id: string };
    let api_key: string;
    if (reuse) {
      const rows = await db.query<{ id: string }>(`SELECT id FROM accounts WHERE email = $1`, [BENCH_EMAIL]);
      if (!rows[0]) throw new Error(`${reuse} has no ${BENCH_EMAIL} account: not a search bench database`);
      account = rows[0];
      const key = generateSecret();
      await db.query(`INSERT INTO api_keys (id, account_id, name, prefix, hash) VALUES ($1, $2, 'bench', $3, $4)`, [
        newId('apiKey'),
        account.id,
        key.prefix,
        key.hash,
      ]);
      api_key = key.secret;
      const n = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM conversations WHERE account_id = $1`, [account.id]);
      console.log(
        `reusing ${reuse}: ${n[0].n} conversations in the bench account (seeding and indexing figures: see the run that made it)`,
      );
    } else {
      const config = loadConfig({ DATABASE_URL });
      ({ account, api_key } = await createAccount(db, config, { email: BENCH_EMAIL, plan: 'pro' }));
      for (let a = 0; a < OTHERS; a++) {
        const other = await createAccount(db, config, { email: `other${a}@example.com`, plan: 'pro' });
        await seedSearchCorpus(db, other.account.id, 5_000, `conv_o${a}`);
      }
      const ms = await seedSearchCorpus(db, account.id, CONVERSATIONS, 'conv_main');
      console.log(
        `indexing: ${CONVERSATIONS} conversations inserted with their tsvectors in ${(ms / 1000).toFixed(1)} s = ${Math.round((CONVERSATIONS / ms) * 1000)} conversations/s`,
      );
      let started = Date.now();
      await attachSummaries(db, account.id); // 9 in 10 get a summary: a second trigger pass re-weights their vectors
      const attached = Math.round(CONVERSATIONS * 0.9);
      const s = (Date.now() - started) / 1000;
      console.log(
        `summaries: ${attached} attached and re-indexed (+ ANALYZE) in ${s.toFixed(1)} s = ${Math.round(attached / s)} conversations/s`,
      );
      if (env.BENCH_STATE === 'api-written') {
        // Issue 14: leave the tables as writes leave them (a dead version of every summarized row, the
        // visibility map not set); autovacuum may still run, as it would.
        console.log('BENCH_STATE=api-written: no VACUUM after seeding');
      } else {
        started = Date.now();
        await db.query('VACUUM ANALYZE conversations, summaries, search_words');
        console.log(`VACUUM ANALYZE after seeding: ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }
    }
    console.log(`table state:\n${await tableState(db)}`);
    const size = await db.query<{ table: string; gin: string }>(
      `SELECT pg_size_pretty(pg_total_relation_size('conversations')) AS table, pg_size_pretty(pg_relation_size('conversations_search_vector_idx')) AS gin`,
    );
    console.log(`conversations table ${size[0].table} (GIN index ${size[0].gin})`);

    const orders = await db.query<{ o: string }>(
      `SELECT substring(content from 'ORD-[0-9]+') AS o FROM conversations WHERE account_id = $1 AND content LIKE '%ORD-%' ORDER BY id LIMIT 5`,
      [account.id],
    );
    const list = queries(orders.map((r) => r.o));

    const engine = engineOption();
    const baseEnv = { DATABASE_URL, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'production', RATE_LIMITS_ENABLED: 'false' };
    const pg = await measure('PostgreSQL', baseEnv, api_key, list);
    if (engine === 'opensearch') {
      const node = await openSearchForBench();
      try {
        const osEnv = {
          SEARCH_ENGINE: 'opensearch',
          SEARCH_URL: node.url,
          ELASTICSEARCH_INDEX: `aimychats-bench-${Date.now().toString(36)}`,
        };
        const osApp = { config: loadConfig({ DATABASE_URL, LOG_LEVEL: 'warn', ...osEnv }), db, log: createLogger('warn') };
        const services = await searchServices(osApp);
        const n = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM conversations');
        const t0 = Date.now();
        const { indexed } = await services.indexer.reindex();
        const s = (Date.now() - t0) / 1000;
        console.log(
          `\nOpenSearch ${node.version}: ${indexed} of ${n[0].n} conversations (all accounts) indexed with _bulk by \`search reindex\` in ${s.toFixed(1)} s = ${Math.round(indexed / s)} conversations/s (target ≥ 2,000)`,
        );
        await services.close();
        const merges = await waitForMerges(node.url);
        console.log(
          merges.settled
            ? `segment merges after the load finished ${merges.waitedMs / 1000} s later (latency is measured after them)`
            : `segment merges still running after ${merges.waitedMs / 1000} s: latency is measured while they run`,
        );
        const os = await measure(`OpenSearch ${node.version}`, { ...baseEnv, ...osEnv }, api_key, list);
        console.log(`\nside by side (server took_ms, ${list.length} queries × ${ROUNDS} rounds):`);
        console.log(`  ${'engine'.padEnd(20)} ${'p50'.padStart(6)} ${'p95'.padStart(6)} ${'client p95'.padStart(11)}`);
        for (const m of [pg, os])
          console.log(
            `  ${m.label.padEnd(20)} ${String(pct(m.server, 50)).padStart(6)} ${String(pct(m.server, 95)).padStart(6)} ${pct(m.client, 95).toFixed(1).padStart(11)}`,
          );
        console.log(
          `  OpenSearch/PostgreSQL p95 ratio: ${(pct(os.server, 95) / Math.max(1, pct(pg.server, 95))).toFixed(2)}; OpenSearch p95 ${pct(os.server, 95) <= 30 ? 'meets' : 'MISSES'} the 30 ms target`,
        );
      } finally {
        await node.stop();
      }
    }
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`bench failed: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
