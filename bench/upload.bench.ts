// `npm run bench:upload`: does a 25 MB upload stay out of the server's memory? The real server runs in
// its own process (scratch PostgreSQL database, files on local disk in a temporary DATA_DIR); 25 MB
// files of random bytes are uploaded over REST multipart (`POST /v1/conversations/{id}/attachments`)
// and over the GraphQL multipart request spec (`uploadAttachment`), first one at a time, then several
// in flight at once. For each phase the server's peak resident memory is reset
// (`/proc/<pid>/clear_refs` ← 5) after a warm-up, and the growth of its peak (`VmHWM`) over the RSS
// just before the phase is printed, also per upload in flight. Target: well under 25 MB per upload in
// flight (a buffered upload would hold the whole file). A last, control phase posts one raw email of
// about the same size to POST /v1/inbound/email, which reads the message whole by design (mailparser
// needs it; INBOUND_EMAIL_MAX_BYTES bounds it): it shows that this measurement does see a buffered body.
// Linux only (reads /proc). Not a test.
//
// Environment (all optional): BENCH_DATABASE_ADMIN_URL (default postgres://root@127.0.0.1:5432/postgres),
// BENCH_UPLOAD_MB (25), BENCH_UPLOADS (3 per sequential phase), BENCH_PARALLEL (4).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { createAccount } from '../src/modules/accounts/create-account.js';
import { spawnServer, stopChildren } from './lib/child-server.js';
import { createScratchDatabase, DEFAULT_ADMIN_URL } from './lib/database.js';

const env = process.env;
const SIZE = Math.round(Number(env.BENCH_UPLOAD_MB ?? 25) * 1024 * 1024);
const SEQUENTIAL = Number(env.BENCH_UPLOADS ?? 3);
const PARALLEL = Number(env.BENCH_PARALLEL ?? 4);
const TARGET_MB = 25;
const MB = 1024 * 1024;
const PLANS_JSON = JSON.stringify({ bench: { storageLimitMb: 1e6, requestsPerDay: 1e6, requestsPerMinute: 1e6 } });

/** A field of /proc/<pid>/status, in bytes. */
function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

type Door = 'rest' | 'graphql';

async function upload(url: string, key: string, conversationId: string, door: Door, bytes: Uint8Array, name: string): Promise<string> {
  const form = new FormData();
  const file = new Blob([bytes as BlobPart], { type: 'application/octet-stream' });
  let res: Response;
  if (door === 'rest') {
    form.append('file', file, name);
    res = await fetch(`${url}/v1/conversations/${conversationId}/attachments`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}` },
      body: form,
    });
  } else {
    const query = 'mutation ($id: ID!, $file: Upload!) { uploadAttachment(conversationId: $id, file: $file) { id size } }';
    form.append('operations', JSON.stringify({ query, variables: { id: conversationId, file: null } }));
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    form.append('0', file, name);
    res = await fetch(`${url}/graphql`, { method: 'POST', headers: { Authorization: `Bearer ${key}` }, body: form });
  }
  const text = await res.text();
  const body = JSON.parse(text);
  const id = door === 'rest' ? body.id : body.data?.uploadAttachment?.id;
  const size = door === 'rest' ? body.size : body.data?.uploadAttachment?.size;
  if (!id || size !== bytes.length) throw new Error(`${door} upload failed (${res.status}): ${text.slice(0, 300)}`);
  return id;
}

/** A raw message whose attachment brings it to about `size` bytes (base64 lines of 76 characters). */
function rawEmail(bytes: Uint8Array, size: number): Buffer {
  // base64 makes 3 bytes 4 characters, and every 76 characters take a CRLF.
  const raw = Math.floor(((size - 2048) * 3 * 76) / (4 * 78) / 3) * 3;
  const attachment = Buffer.from(bytes.subarray(0, raw)).toString('base64').replace(/.{76}/g, '$&\r\n');
  const head = [
    'From: Bench <bench@example.com>',
    'To: team@example.com',
    'Subject: Upload bench control',
    `Message-ID: <control.${crypto.randomBytes(6).toString('hex')}@example.com>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'A large attachment.',
    '--b',
    'Content-Type: application/octet-stream; name="control.bin"',
    'Content-Transfer-Encoding: base64',
    'Content-Disposition: attachment; filename="control.bin"',
    '',
  ].join('\r\n');
  return Buffer.from(`${head}\r\n${attachment}\r\n--b--\r\n`);
}

interface Phase {
  door: Door | 'email';
  inFlight: number;
  uploads: number;
}

const scratch = await createScratchDatabase('aimychats_bench_upload', env.BENCH_DATABASE_ADMIN_URL ?? DEFAULT_ADMIN_URL);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aimychats-bench-upload-'));
try {
  const config = loadConfig({ DATABASE_URL: scratch.url, LOG_LEVEL: 'silent', PLANS_JSON });
  const { api_key: key } = await createAccount(scratch.db, config, { email: `bench-${Date.now()}@example.com`, plan: 'bench' });
  const server = await spawnServer(new URL('./lib/serve-api.ts', import.meta.url).pathname, {
    DATABASE_URL: scratch.url,
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    NODE_ENV: 'production',
    RATE_LIMITS_ENABLED: 'false',
    PLANS_JSON,
    FILE_SIGNING_SECRET: 'bench-signing-secret-0123456789abcdef',
  });
  const pid = server.pid!;
  const startedRss = procStatus(pid, 'VmRSS');
  const created = await fetch(`${server.url}/v1/conversations`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ title: 'Upload bench', content: 'Files for the upload benchmark.' }),
  });
  const conversationId = ((await created.json()) as { id: string }).id;
  const bytes = new Uint8Array(crypto.randomBytes(SIZE));
  const deleteAll = async (ids: string[]) => {
    for (const id of ids)
      await fetch(`${server.url}/v1/attachments/${id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${key}` } });
  };

  // Warm-up: every code path once (small files), so that the phases measure uploads, not module loading.
  await deleteAll([
    await upload(server.url, key, conversationId, 'rest', bytes.subarray(0, 1 * MB), 'warm.bin'),
    await upload(server.url, key, conversationId, 'graphql', bytes.subarray(0, 1 * MB), 'warm.bin'),
  ]);

  const phases: Phase[] = [
    { door: 'rest', inFlight: 1, uploads: SEQUENTIAL },
    { door: 'graphql', inFlight: 1, uploads: SEQUENTIAL },
    { door: 'rest', inFlight: PARALLEL, uploads: PARALLEL },
    { door: 'graphql', inFlight: PARALLEL, uploads: PARALLEL },
    { door: 'email', inFlight: 1, uploads: 1 },
  ];
  const email = rawEmail(bytes, SIZE - 64 * 1024);
  const postEmail = async (): Promise<string> => {
    const res = await fetch(`${server.url}/v1/inbound/email`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'message/rfc822' },
      body: new Uint8Array(email),
    });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`email failed (${res.status}): ${text.slice(0, 300)}`);
    return JSON.parse(text).attachments[0].id;
  };
  const results: Record<string, unknown>[] = [];
  process.stdout.write(
    `server pid ${pid}, ${(SIZE / MB).toFixed(0)} MB files, RSS at start ${(startedRss / MB).toFixed(1)} MB, after warm-up ${(procStatus(pid, 'VmRSS') / MB).toFixed(1)} MB\n`,
  );
  for (const p of phases) {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5'); // VmHWM := current RSS
    const baseline = procStatus(pid, 'VmRSS');
    let sampledPeak = baseline;
    const sampler = setInterval(() => {
      sampledPeak = Math.max(sampledPeak, procStatus(pid, 'VmRSS'));
    }, 10);
    const started = Date.now();
    const ids: string[] = [];
    for (let done = 0; done < p.uploads; done += p.inFlight) {
      const batch = Math.min(p.inFlight, p.uploads - done);
      ids.push(
        ...(await Promise.all(
          Array.from({ length: batch }, (_, i) =>
            p.door === 'email' ? postEmail() : upload(server.url, key, conversationId, p.door, bytes, `file-${done + i}.bin`),
          ),
        )),
      );
    }
    const ms = Date.now() - started;
    clearInterval(sampler);
    const peak = Math.max(procStatus(pid, 'VmHWM'), sampledPeak);
    const growthMb = (peak - baseline) / MB;
    const perUploadMb = growthMb / p.inFlight;
    const r = {
      door: p.door,
      inFlight: p.inFlight,
      uploads: p.uploads,
      mbPerSecond: Math.round(((p.uploads * SIZE) / MB / (ms / 1000)) * 10) / 10,
      baselineRssMb: Math.round((baseline / MB) * 10) / 10,
      peakRssMb: Math.round((peak / MB) * 10) / 10,
      growthMb: Math.round(growthMb * 10) / 10,
      growthPerUploadInFlightMb: Math.round(perUploadMb * 10) / 10,
    };
    results.push(r);
    const label =
      p.door === 'email'
        ? `control: inbound email (read whole by design), 1 × ${(email.length / MB).toFixed(0)} MB`
        : `${p.door.padEnd(8)} ${p.uploads} × ${(SIZE / MB).toFixed(0)} MB`;
    process.stdout.write(
      `${label}, ${p.inFlight} in flight  ${String(r.mbPerSecond).padStart(6)} MB/s  ` +
        `RSS ${r.baselineRssMb} → peak ${r.peakRssMb} MB (growth ${r.growthMb} MB, ${r.growthPerUploadInFlightMb} MB per upload in flight, ` +
        `${p.door === 'email' ? 'control' : perUploadMb < TARGET_MB ? 'under' : 'OVER'} ${TARGET_MB} MB)\n`,
    );
    await deleteAll(ids);
  }
  process.stdout.write(`${JSON.stringify({ sizeMb: SIZE / MB, results })}\n`);
  if (results.some((r) => r.door !== 'email' && (r.growthPerUploadInFlightMb as number) >= TARGET_MB)) process.exitCode = 1;
} finally {
  await stopChildren();
  await scratch.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
