// Servers under measurement run as child processes, so that they never share an event loop with the
// load generator. Each child prints one JSON line {"url": …} on stdout when listening (serve-api.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';

/** Every child is registered at birth, so that cleanup stops it whatever fails. */
export const children: ChildProcess[] = [];

/**
 * Starts `entry` in its own node process (not `npx tsx`, whose wrapper would be the pid we measure),
 * with a clean environment: a developer's PUBLIC_URL, REDIS_URL or LOG_LEVEL must not change what is
 * measured. `nodeArgs` go before the entry (e.g. --cpu-prof).
 */
export async function spawnServer(
  entry: string,
  extraEnv: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<ChildProcess & { url: string }> {
  const env = process.env;
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', entry], {
    env: { PATH: env.PATH, HOME: env.HOME, ...extraEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${entry} exited with code ${code} before listening`)));
  });
  return Object.assign(child, { url: (JSON.parse(line) as { url: string }).url });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export const stopChildren = () => Promise.all(children.map(stopChild));
