// `npm start` with no configuration: the embedded database (PGlite in DATA_DIR), migrations applied at
// start, the CLI working against it while the server runs, data kept across restarts, clean SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { client } from './helpers/server.js';

const ROOT = new URL('..', import.meta.url).pathname;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aimychats-embedded-'));
const children: ChildProcess[] = [];

function embeddedEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  return env;
}

/** Starts the server as `npm start` does and resolves with its URL once it listens. */
function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: embeddedEnv(),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${buffered}`)), 90_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (const line of buffered.split('\n')) {
        if (line.includes('"msg":"listening"')) {
          clearTimeout(timer);
          resolve({ child, url: JSON.parse(line).url });
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${buffered}`)));
  });
}

function stopServer(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('embedded database (no DATABASE_URL)', () => {
  it('round-trips a conversation, serves the CLI while running, and keeps data across a restart', async () => {
    const first = await startServer();
    const created = await cli(['accounts', 'create', '--email', 'embedded@example.com'], embeddedEnv() as Record<string, string>);
    expect(created.code, created.stderr).toBe(0);
    const { api_key } = JSON.parse(created.stdout);
    const c = client(first.url, api_key);
    const conv = await c.post(
      '/v1/conversations',
      { title: 'Embedded', content: 'Runs with no configuration at all.' },
      { 'Idempotency-Key': 'embedded-1' },
    );
    expect(conv.status).toBe(201);
    // Idempotency keys are stored in PGlite too: the retry is a replay, not a second conversation.
    const retry = await c.post(
      '/v1/conversations',
      { title: 'Embedded', content: 'Runs with no configuration at all.' },
      { 'Idempotency-Key': 'embedded-1' },
    );
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body.id).toBe(conv.body.id);
    expect((await c.get(`/v1/conversations/${conv.body.id}`)).body.title).toBe('Embedded');
    const gql = await c.request('POST', '/graphql', { query: '{ conversations { meta { total } data { id } } }' });
    expect(gql.body.data.conversations).toEqual({ meta: { total: 1 }, data: [{ id: conv.body.id }] });
    // Text PostgreSQL refuses (U+0000) is the client's 422 here too, not a 500, and nothing is stored.
    const nul = await c.request('POST', '/graphql', {
      query: 'mutation($t: String!) { createConversation(title: $t, content: "x") { id } }',
      variables: { t: 'a\u0000b' },
    });
    expect(nul.body.errors?.[0]?.extensions?.code, nul.text).toBe('validation_error');
    expect((await c.get('/v1/conversations')).body.meta.total).toBe(1);
    expect(await stopServer(first.child)).toBe(0);

    const second = await startServer();
    const again = client(second.url, api_key);
    expect((await again.get(`/v1/conversations/${conv.body.id}`)).body.content).toBe('Runs with no configuration at all.');
    expect(await stopServer(second.child)).toBe(0);
  }, 240_000);
});
