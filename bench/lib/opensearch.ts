// The OpenSearch side of `eval:search` and `bench:search` (`-- --engine opensearch`): a node from
// tools/opensearch on a free port (or the one SEARCH_URL names), and the engine option parsed the same
// way by both scripts. PostgreSQL is always measured too, in the same run, as the baseline.
import net from 'node:net';
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
    node = await startOpenSearch({ port: await freePort(), heap });
    url = node.url;
  }
  const info = (await (await fetch(url)).json()) as { version?: { number?: string } };
  return { url, version: info.version?.number ?? '?', stop: async () => node?.stop() };
}
