// A real HTTP receiver for webhook tests, on loopback. Each path answers from its script: one
// status per request, the last repeating (default 200); `hold` keeps the request open until
// `release(path)`. Every request is recorded with its raw body and headers.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  json: any;
}

type Step = number | 'hold';

export async function startReceiver() {
  const received: Received[] = [];
  const scripts = new Map<string, Step[]>();
  const counts = new Map<string, number>();
  const held: { path: string; res: http.ServerResponse }[] = [];
  const open = new Map<string, number>();
  const maxOpen = new Map<string, number>();
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const path = req.url ?? '/';
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    received.push({ path, headers: req.headers as Record<string, string>, body, json });
    const n = counts.get(path) ?? 0;
    counts.set(path, n + 1);
    const steps = scripts.get(path) ?? [200];
    const step = steps[Math.min(n, steps.length - 1)];
    if (step === 'hold') {
      held.push({ path, res });
      open.set(path, (open.get(path) ?? 0) + 1);
      maxOpen.set(path, Math.max(maxOpen.get(path) ?? 0, open.get(path)!));
      res.on('close', () => open.set(path, open.get(path)! - 1));
      return;
    }
    res.writeHead(step, { 'Content-Type': 'text/plain' });
    res.end(step >= 400 ? `failure ${step}` : 'ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let seq = 0;
  return {
    /** A fresh path on this receiver, answering with `steps`. */
    endpoint(steps: Step[] = [200]) {
      const path = `/hook/${++seq}`;
      scripts.set(path, steps);
      return { path, url: `http://127.0.0.1:${port}${path}` };
    },
    received,
    at: (path: string) => received.filter((r) => r.path === path),
    /** The most requests on `path` held open at the same time. */
    maxOpen: (path: string) => maxOpen.get(path) ?? 0,
    /** Answers every held request on `path` with 200. */
    release(path: string) {
      for (const h of held.filter((x) => x.path === path)) h.res.writeHead(200).end('ok');
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** Headers as `standardwebhooks` wants them. */
export function swHeaders(r: Received): Record<string, string> {
  return {
    'webhook-id': r.headers['webhook-id'],
    'webhook-timestamp': r.headers['webhook-timestamp'],
    'webhook-signature': r.headers['webhook-signature'],
  };
}
