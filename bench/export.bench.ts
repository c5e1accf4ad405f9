// `npm run bench:export`: exports BENCH_CONVERSATIONS (default 20,000) conversations of one account
// (~1–2 KB each, 9 in 10 with a summary) as PDF and CSV, each in a fresh worker process, and prints
// the time and the worker's peak RSS growth over its warmed-up baseline. Target: growth < 150 MB for
// either format — the writers stream from batched reads, so the growth should not follow the count.
//
// Environment: BENCH_DATABASE_ADMIN_URL (default postgres://root@127.0.0.1:5432/postgres),
// BENCH_CONVERSATIONS (20000), BENCH_FORMATS (pdf,csv; json and markdown work too).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadConfig } from '../src/config.js';
import { createAccount } from '../src/modules/accounts/create-account.js';
import { createScratchDatabase, DEFAULT_ADMIN_URL } from './lib/database.js';
import { seedConversations } from './lib/seed.js';

const run = promisify(execFile);
const env = process.env;
const COUNT = Number(env.BENCH_CONVERSATIONS ?? 20_000);
const FORMATS = (env.BENCH_FORMATS ?? 'pdf,csv').split(',');
const TARGET_MB = 150;

const scratch = await createScratchDatabase('aimychats_bench_export', env.BENCH_DATABASE_ADMIN_URL ?? DEFAULT_ADMIN_URL);
try {
  const config = loadConfig({ DATABASE_URL: scratch.url, LOG_LEVEL: 'silent' });
  const { account } = await createAccount(scratch.db, config, { email: `bench-${Date.now()}@example.com`, plan: 'pro' });
  // The quota must not stop the benchmark: an operator plan with room for any export.
  await scratch.db.query(`UPDATE accounts SET plan = 'bench' WHERE id = $1`, [account.id]);
  const seeded = Date.now();
  await seedConversations(scratch.db, account.id, COUNT);
  process.stderr.write(`seeded ${COUNT} conversations in ${Date.now() - seeded} ms\n`);
  const rows: Record<string, unknown>[] = [];
  for (const format of FORMATS) {
    const { stdout } = await run(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', new URL('./lib/export-worker.ts', import.meta.url).pathname, format, account.id, 'false'],
      {
        env: {
          ...env,
          DATABASE_URL: scratch.url,
          PLANS_JSON: JSON.stringify({ bench: { storageLimitMb: 1e6, requestsPerDay: 1e6, requestsPerMinute: 1e6 } }),
        },
        maxBuffer: 1 << 20,
      },
    );
    const r = JSON.parse(stdout.trim().split('\n').pop()!);
    rows.push(r);
    process.stdout.write(
      `${format.padEnd(8)} ${String(r.conversations).padStart(6)} conversations  ${(r.ms / 1000).toFixed(1).padStart(6)} s  ` +
        `${(r.bytes / 1048576).toFixed(1).padStart(7)} MB file  RSS ${r.baselineRssMb} → ${r.peakRssMb} MB (growth ${r.growthMb} MB, ` +
        `${r.growthMb < TARGET_MB ? 'under' : 'OVER'} the ${TARGET_MB} MB target)\n`,
    );
  }
  if (rows.some((r) => (r.growthMb as number) >= TARGET_MB)) process.exitCode = 1;
} finally {
  await scratch.drop();
}
