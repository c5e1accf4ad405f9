// Builds (once) and starts the single-node OpenSearch of tools/opensearch (Launcher.java) as a child
// process. Used by the OpenSearch test suite, the search benchmarks and `npm run opensearch -- --port N`
// (foreground until killed). See docs/search.md, "Running OpenSearch locally".
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const LAUNCHER_DIR = path.dirname(fileURLToPath(import.meta.url));
const JAR = path.join(LAUNCHER_DIR, 'target', 'opensearch-launcher-1.0.0.jar');
const CLASSPATH = path.join(LAUNCHER_DIR, 'target', 'classpath.txt');
const SOURCES = [path.join(LAUNCHER_DIR, 'pom.xml'), path.join(LAUNCHER_DIR, 'src/main/java/chat/aimy/opensearch/Launcher.java')];

const mtime = (f: string) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : 0);

/** `mvn -q package` when the jar is missing or older than its sources (Maven's local cache makes it quick after the first time). */
export function buildLauncher(): void {
  const built = Math.min(mtime(JAR), mtime(CLASSPATH));
  if (built && SOURCES.every((s) => mtime(s) <= built)) return;
  const res = spawnSync('mvn', ['-q', '-B', 'package', '-DskipTests'], {
    cwd: LAUNCHER_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (res.error || res.status !== 0) {
    throw new Error(
      `building the OpenSearch launcher failed (mvn -q package in ${LAUNCHER_DIR}): ${res.error ?? ''}\n${res.stdout}\n${res.stderr}`,
    );
  }
}

export interface OpenSearchNode {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything it wrote to stderr (OpenSearch's log). */
  log(): string;
  /** SIGTERM, then waits for the JVM to exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  port: number;
  /** Keep the data here (survives a restart) instead of a temporary folder removed on stop. */
  dataDir?: string;
  /** JVM heap, e.g. '512m'. */
  heap?: string;
  /** The JVM's collector: SerialGC (default: least memory and CPU, for tests) or G1GC (OpenSearch's own
   *  default; shorter pauses for latency measurements). Also OPENSEARCH_GC. */
  gc?: (typeof COLLECTORS)[number];
  timeoutMs?: number;
  /** Copy OpenSearch's log to this process's stderr. */
  inheritLog?: boolean;
}

const COLLECTORS = ['SerialGC', 'G1GC', 'ParallelGC'] as const;
function collector(name = 'SerialGC'): (typeof COLLECTORS)[number] {
  const c = COLLECTORS.find((x) => x === name);
  if (!c) throw new Error(`OPENSEARCH_GC must be one of ${COLLECTORS.join(', ')} (got ${name})`);
  return c;
}

/** Starts the node and resolves once it answers on HTTP (the launcher's "ready" line). */
export async function startOpenSearch(opts: StartOptions): Promise<OpenSearchNode> {
  buildLauncher();
  const heap = opts.heap ?? process.env.OPENSEARCH_HEAP ?? '512m';
  const classpath = `${JAR}${path.delimiter}${fs.readFileSync(CLASSPATH, 'utf8').trim()}`;
  const args = [
    `-Xms${heap}`,
    `-Xmx${heap}`,
    `-XX:+Use${collector(opts.gc ?? process.env.OPENSEARCH_GC)}`,
    '-Djava.awt.headless=true',
    '-cp',
    classpath,
    'chat.aimy.opensearch.Launcher',
    '--port',
    String(opts.port),
  ];
  if (opts.dataDir) args.push('--data', opts.dataDir);
  const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, JAVA_TOOL_OPTIONS: '' } });
  let err = '';
  let out = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d;
    if (err.length > 1_000_000) err = err.slice(-500_000);
    if (opts.inheritLog) process.stderr.write(d);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      if (out.includes(' ready on ')) resolve();
    });
    void exited.then((code) => reject(new Error(`OpenSearch exited (code ${code}) before answering:\n${err.slice(-4000)}`)));
    const timer = setTimeout(
      () => reject(new Error(`OpenSearch did not answer within ${opts.timeoutMs ?? 180_000} ms:\n${err.slice(-4000)}`)),
      opts.timeoutMs ?? 180_000,
    );
    timer.unref();
  });
  const node: OpenSearchNode = {
    url: `http://127.0.0.1:${opts.port}`,
    port: opts.port,
    child,
    log: () => err,
    stop: async (graceMs = 30_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await ready;
  } catch (e) {
    await node.stop(5_000);
    throw e;
  }
  return node;
}

/** A fresh folder for `dataDir`. */
export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'aimychats-opensearch-data-'));
}

// `npm run opensearch -- --port N [--data DIR] [--heap 1g]`: runs in the foreground until killed.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const port = Number(arg('--port') ?? 9200);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error('usage: npm run opensearch -- --port N [--data DIR] [--heap 512m]');
    process.exit(2);
  }
  startOpenSearch({ port, dataDir: arg('--data'), heap: arg('--heap'), inheritLog: !!process.env.OPENSEARCH_LOG })
    .then((node) => {
      console.log(`OpenSearch ready on ${node.url}`);
      const stop = () => void node.stop().then(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      node.child.once('exit', (code) => process.exit(code ?? 1));
    })
    .catch((e: unknown) => {
      console.error(String(e instanceof Error ? e.message : e));
      process.exit(1);
    });
}
