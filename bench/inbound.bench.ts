// `npm run bench:inbound`: POST /v1/inbound/email throughput. 2,000 raw messages of mixed sizes — short
// plain notes, multipart/alternative newsletters, HTML-only mails, replies that join earlier threads, and
// some with 50–400 KB attachments — posted with 20 at a time to the real server in its own process
// (scratch PostgreSQL database, attachments on local disk). Prints messages/s and latency percentiles.
// Not a test: numbers depend on the machine and its neighbours.
//
// Summary jobs are queued in Redis and left unrun (RUN_WORKERS=false), so what is measured is the
// inbound path itself (parse, thread lookup, conversation write, attachment storage), not the summarizer.
//
// Environment (all optional): BENCH_DATABASE_ADMIN_URL (default postgres://root@127.0.0.1:5432/postgres),
// BENCH_REDIS_URL (redis://127.0.0.1:6379/14), BENCH_MESSAGES (2000), BENCH_CONCURRENCY (20), BENCH_CPU_PROF_DIR
// (the server runs with --cpu-prof and writes its profile there on exit).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deleteKeys } from '../src/lib/redis.js';
import { loadConfig } from '../src/config.js';
import { createAccount } from '../src/modules/accounts/create-account.js';
import { spawnServer, stopChildren } from './lib/child-server.js';
import { createScratchDatabase, DEFAULT_ADMIN_URL } from './lib/database.js';

const env = process.env;
const ADMIN_URL = env.BENCH_DATABASE_ADMIN_URL ?? DEFAULT_ADMIN_URL;
const REDIS_URL = env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14';
const MESSAGES = Number(env.BENCH_MESSAGES ?? 2000);
const CONCURRENCY = Number(env.BENCH_CONCURRENCY ?? 20);

const WORDS =
  'pricing contract renewal meeting friday invoice delivery budget quarter review team customer support order shipping refund plan launch'.split(
    ' ',
  );
const sentence = (rnd: () => number, n: number) => Array.from({ length: n }, () => WORDS[Math.floor(rnd() * WORDS.length)]).join(' ');

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

interface Mail {
  kind: string;
  raw: Buffer;
}

function build(count: number): Mail[] {
  const rnd = seeded(42);
  const ids: string[] = [];
  const out: Mail[] = [];
  for (let i = 0; i < count; i++) {
    const id = `bench.${i}.${crypto.randomBytes(4).toString('hex')}@mail.example.com`;
    const head = (subject: string, extra = '') =>
      `From: "Sender ${i % 50}" <sender${i % 50}@example.com>\r\nTo: team@example.com\r\nSubject: ${subject}\r\nDate: Tue, 02 Jan 2024 10:00:00 +0000\r\nMessage-ID: <${id}>\r\n${extra}MIME-Version: 1.0\r\n`;
    const r = rnd();
    let kind: string;
    let raw: string;
    if (r < 0.45) {
      kind = 'plain';
      raw = `${head(`Note ${i}`)}Content-Type: text/plain; charset=utf-8\r\n\r\n${sentence(rnd, 40 + Math.floor(rnd() * 200))}\r\n`;
    } else if (r < 0.65) {
      kind = 'alternative';
      const text = Array.from({ length: 20 + Math.floor(rnd() * 60) }, () => sentence(rnd, 15)).join('\r\n');
      raw = `${head(`Newsletter ${i}`)}Content-Type: multipart/alternative; boundary="b${i}"\r\n\r\n--b${i}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text}\r\n--b${i}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>${text
        .split('\r\n')
        .map((l) => `<p>${l}</p>`)
        .join('')}</body></html>\r\n--b${i}--\r\n`;
    } else if (r < 0.75) {
      kind = 'html';
      raw = `${head(`Update ${i}`)}Content-Type: text/html; charset=utf-8\r\n\r\n<div><h2>Status</h2><ul>${Array.from({ length: 10 }, () => `<li>${sentence(rnd, 12)}</li>`).join('')}</ul></div>\r\n`;
    } else if (r < 0.93 && ids.length > 0) {
      kind = 'reply';
      const parent = ids[Math.floor(rnd() * ids.length)]!;
      raw = `${head(`Re: Thread`, `In-Reply-To: <${parent}>\r\nReferences: <${parent}>\r\n`)}Content-Type: text/plain; charset=utf-8\r\n\r\n${sentence(rnd, 30)}\r\n\r\nOn Mon, 1 Jan 2024, someone wrote:\r\n> ${sentence(rnd, 30)}\r\n`;
    } else {
      kind = 'attachment';
      const size = 50_000 + Math.floor(rnd() * 350_000);
      const b64 = crypto
        .randomBytes(size)
        .toString('base64')
        .replace(/(.{76})/g, '$1\r\n');
      raw = `${head(`Files ${i}`)}Content-Type: multipart/mixed; boundary="m${i}"\r\n\r\n--m${i}\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--m${i}\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="data-${i}.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--m${i}--\r\n`;
    }
    ids.push(id);
    out.push({ kind, raw: Buffer.from(raw) });
  }
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const { name: dbName, url: DATABASE_URL, db, drop } = await createScratchDatabase('aimychats_bench_inbound', ADMIN_URL);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amc-bench-inbound-'));
  const prefix = `bench_inbound_${process.pid}_${Date.now()}`;
  const cleanup = async () => {
    await stopChildren();
    await drop();
    await deleteKeys(REDIS_URL, `${prefix}:*`).catch(() => {});
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    const { api_key } = await createAccount(db, loadConfig({ DATABASE_URL }), { email: 'bench@example.com', plan: 'pro' });
    const mails = build(MESSAGES);
    const bytes = mails.reduce((s, m) => s + m.raw.length, 0);
    const kinds = Object.entries(mails.reduce<Record<string, number>>((acc, m) => ((acc[m.kind] = (acc[m.kind] ?? 0) + 1), acc), {}));
    console.log(
      `database ${dbName}; ${MESSAGES} messages, ${(bytes / 1024 / 1024).toFixed(1)} MB (${kinds.map(([k, n]) => `${k} ${n}`).join(', ')})`,
    );

    const server = await spawnServer(
      'bench/lib/serve-api.ts',
      {
        DATABASE_URL,
        DATA_DIR: dataDir,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        NODE_ENV: 'production',
        RATE_LIMITS_ENABLED: 'false',
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        RUN_WORKERS: 'false',
        JOB_RECOVERY_INTERVAL_MS: '0',
      },
      env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${env.BENCH_CPU_PROF_DIR}`] : [],
    );
    const post = (raw: Buffer) =>
      fetch(`${server.url}/v1/inbound/email`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${api_key}`, 'Content-Type': 'message/rfc822' },
        body: new Uint8Array(raw),
      });

    // Warm-up on throw-away messages (JIT, pool connections, key cache).
    for (const m of build(40)) await (await post(m.raw)).arrayBuffer();

    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < mails.length) {
          const m = mails[next++]!;
          const t0 = performance.now();
          const res = await post(m.raw);
          await res.arrayBuffer();
          latencies.push(performance.now() - t0);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const stored = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM conversations`);
    console.log(`statuses: ${[...statuses].map(([s, n]) => `${s}×${n}`).join(', ')}; conversations stored: ${stored[0]!.n}`);
    console.log(
      `${MESSAGES} emails, concurrency ${CONCURRENCY}: ${(MESSAGES / seconds).toFixed(0)} messages/s, ` +
        `p50 ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, ` +
        `${(bytes / 1024 / 1024 / seconds).toFixed(1)} MB/s`,
    );
  } finally {
    await cleanup();
  }
}

await main();
