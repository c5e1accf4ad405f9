// Real processes for scale-out and fault tests: API servers (src/main.ts) and workers (src/worker.ts) as
// child processes, and a private PostgreSQL cluster or Redis server that a test may stop and restart
// without touching the shared ones. Children run as `node --import tsx <entry>` (not the tsx CLI, which
// runs the entry in a child of its own): a signal must reach the process that holds the work.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { openPostgres } from '../../src/lib/db.js';
import { createLogger } from '../../src/lib/logger.js';
import { applyMigrations } from '../../src/lib/migrate.js';
import { createAccount } from '../../src/modules/accounts/create-account.js';
import { eventually } from './jobs.js';
import { client } from './server.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const DEBUG = !!process.env.DEBUG_PROCESSES;

export interface LogLine {
  pid: number;
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface NodeProcess {
  child: ChildProcess;
  pid: number;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the process wrote (stdout and stderr). */
  output(): string;
  /** Its JSON log lines (pino). */
  logs(): LogLine[];
  running(): boolean;
}

const started: NodeProcess[] = [];

/** Starts `entry` (src/main.ts or src/worker.ts) with only `env` (plus PATH and HOME). */
export function spawnNode(entry: string, env: Record<string, string>): NodeProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const collect = (d: Buffer) => {
    out += d;
    if (DEBUG) process.stderr.write(d);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const proc: NodeProcess = {
    child,
    pid: child.pid!,
    exited,
    output: () => out,
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as LogLine];
          } catch {
            return [];
          }
        }),
    running: () => child.exitCode === null && child.signalCode === null,
  };
  started.push(proc);
  return proc;
}

/** Waits for a log line `match` accepts; throws with the output if the process exits or time runs out. */
export async function waitForLog(proc: NodeProcess, match: (l: LogLine) => boolean, timeoutMs = 60_000): Promise<LogLine> {
  const found = await eventually(
    async () => proc.logs().find(match),
    (l) => !!l || !proc.running(),
    timeoutMs,
  );
  if (!found)
    throw new Error(`process ${proc.pid} ${proc.running() ? 'did not log the line in time' : 'exited'}:\n${proc.output().slice(-4000)}`);
  return found;
}

export type ApiProcess = NodeProcess & { url: string };

/** `npm start` as a child process on a free port; resolves once it listens. */
export async function startApi(env: Record<string, string>): Promise<ApiProcess> {
  const proc = spawnNode('src/main.ts', { PORT: '0', HOST: '127.0.0.1', ...env });
  const listening = await waitForLog(proc, (l) => l.msg === 'listening', 90_000);
  return Object.assign(proc, { url: listening.url as string });
}

/** `npm run worker` as a child process; resolves once its workers take jobs. */
export async function startWorker(env: Record<string, string>): Promise<NodeProcess> {
  const proc = spawnNode('src/worker.ts', env);
  await waitForLog(proc, (l) => l.msg === 'job workers started', 90_000);
  return proc;
}

/** SIGTERM (or `signal`), then SIGKILL after `graceMs`; resolves with how it ended. */
export async function stopProcess(proc: NodeProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000) {
  if (!proc.running()) return proc.exited;
  proc.child.kill(signal);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  const result = await proc.exited;
  clearTimeout(timer);
  return result;
}

/** For afterAll: every process these helpers started and that still runs is killed. */
export async function killAll(): Promise<void> {
  await Promise.all(started.filter((p) => p.running()).map((p) => stopProcess(p, 'SIGKILL')));
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** An account with an API key in the database at `databaseUrl`, and a client for `baseUrl`. */
export async function accountOn(databaseUrl: string, baseUrl: string, plan = 'professional', env: Record<string, string> = {}) {
  const config = loadConfig({ DATABASE_URL: databaseUrl, ...env });
  const db = openPostgres(databaseUrl, 1, createLogger('silent'));
  try {
    const email = `t${Date.now()}_${process.pid}_${Math.random().toString(36).slice(2, 8)}@example.com`;
    const created = await createAccount(db, config, { email, plan });
    return { ...created, client: client(baseUrl, created.api_key) };
  } finally {
    await db.close();
  }
}

const PG_BIN = process.env.TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL cluster of this test's own (initdb into a temporary directory, owned by the postgres
 * user because PostgreSQL refuses to run as root), so that it can be stopped and started again
 * without disturbing any other test.
 */
export class PrivatePostgres {
  readonly dir: string;
  private constructor(readonly port: number) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amc-pg-'));
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static available(): boolean {
    return fs.existsSync(path.join(PG_BIN, 'initdb')) && spawnSync('id', ['postgres']).status === 0;
  }

  /** As the postgres user; asynchronous, so that the test's own requests go on meanwhile. */
  private run(args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      execFile('runuser', ['-u', 'postgres', '--', ...args], (err, stdout, stderr) =>
        err ? reject(new Error(`${args.join(' ')} failed: ${stderr || stdout || err.message}`)) : resolve(),
      );
    });
  }

  /** initdb, start, and apply the migrations. */
  static async create(): Promise<PrivatePostgres> {
    const pg = new PrivatePostgres(await freePort());
    spawnSync('chown', ['postgres:postgres', pg.dir]);
    await pg.run([path.join(PG_BIN, 'initdb'), '-D', path.join(pg.dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
    await pg.start();
    const db = openPostgres(pg.url, 2, createLogger('silent'));
    await applyMigrations(db, createLogger('silent'));
    await db.close();
    return pg;
  }

  /** Starts the server (pg_ctl waits until it accepts connections). */
  async start(): Promise<void> {
    await this.run([
      path.join(PG_BIN, 'pg_ctl'),
      '-D',
      path.join(this.dir, 'data'),
      '-l',
      path.join(this.dir, 'log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`,
      'start',
    ]);
  }

  /** Stops the server: `fast` disconnects every client (57P01) and stops at once. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.run([path.join(PG_BIN, 'pg_ctl'), '-D', path.join(this.dir, 'data'), '-m', mode, '-w', 'stop']);
  }

  async destroy(): Promise<void> {
    try {
      await this.run([path.join(PG_BIN, 'pg_ctl'), '-D', path.join(this.dir, 'data'), '-m', 'immediate', 'stop']);
    } catch {
      // already stopped
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A Redis server of this test's own, without persistence (like the shared one): a restart loses its data. */
export class PrivateRedis {
  private proc?: ChildProcess;
  private constructor(readonly port: number) {}

  static async create(): Promise<PrivateRedis> {
    const r = new PrivateRedis(await freePort());
    await r.start();
    return r;
  }

  url(db = 0): string {
    return `redis://127.0.0.1:${this.port}/${db}`;
  }

  async start(): Promise<void> {
    const proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    this.proc = proc;
    const up = await eventually(
      () => portAnswers(this.port),
      (ok) => ok || proc.exitCode !== null,
      15_000,
    );
    if (!up) throw new Error(`redis-server on port ${this.port} did not start`);
  }

  /** Kills the server (SIGKILL: nothing is saved, as with a crash). */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  }
}
