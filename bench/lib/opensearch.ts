// The OpenSearch side of `eval:search` and `bench:search` (`-- --engine opensearch`): a node from
// tools/opensearch on a free port (or the one SEARCH_URL names), and the engine option parsed the same
// way by both scripts. PostgreSQL is always measured too, in the same run, as the baseline.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startOpenSearch, type OpenSearchNode } from '../../tools/opensearch/launcher.js';

export type EngineOption = 'postgres' | 'opensearch';

/** `--engine postgres|opensearch` (default postgres: PostgreSQL only). */
export function engineOption(argv = process.argv.slice(2)): EngineOption {
  const i = argv.indexOf('--engine');
  const v = i >= 0 ? argv[i + 1] : (argv.find((a) => a.startsWith('--engine='))?.slice(9) ?? 'postgres');
  if (v !== 'postgres' && v !== 'opensearch') {
    console.error(`--engine must be postgres or opensearch (got ${v}); opensearch measures PostgreSQL beside it`);
    process.exit(2);
  }
  return v;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** SEARCH_URL when set (an OpenSearch you run), else a fresh node of tools/opensearch. */
export async function openSearchForBench(
  heap = process.env.OPENSEARCH_HEAP ?? '1g',
): Promise<{ url: string; version: string; stop(): Promise<void> }> {
  let node: OpenSearchNode | undefined;
  let url = process.env.SEARCH_URL;
  if (!url) {
    // G1, OpenSearch's own collector: the tests' SerialGC stops the node for every young collection,
    // which showed in the latency tail (p95 35 → 30 ms at 200,000 conversations, docs/search.md).
    node = await startOpenSearch({ port: await freePort(), heap, gc: 'G1GC' });
    url = node.url;
  }
  const info = (await (await fetch(url)).json()) as { version?: { number?: string } };
  return { url, version: info.version?.number ?? '?', stop: async () => node?.stop() };
}

/**
 * Waits until the node runs no segment merge (a fresh `_bulk` load keeps merging for a while after the
 * last request): latency is measured in the steady state, not while the node rewrites its segments.
 * Says how long it waited, and whether merges were still running when it gave up.
 */
export async function waitForMerges(url: string, timeoutMs = 180_000): Promise<{ waitedMs: number; settled: boolean }> {
  const started = Date.now();
  for (let quiet = 0; Date.now() - started < timeoutMs; await sleep(1000)) {
    const stats = (await (await fetch(`${url}/_nodes/stats/indices/merge`)).json()) as {
      nodes?: Record<string, { indices?: { merges?: { current?: number } } }>;
    };
    if (!stats.nodes) throw new Error(`unexpected node stats: ${JSON.stringify(stats).slice(0, 300)}`);
    const running = Object.values(stats.nodes).reduce((n, x) => n + (x.indices?.merges?.current ?? 0), 0);
    quiet = running === 0 ? quiet + 1 : 0;
    if (quiet >= 3) return { waitedMs: Date.now() - started, settled: true };
  }
  return { waitedMs: Date.now() - started, settled: false };
}
