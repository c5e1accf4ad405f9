// The /readyz check of a distributed search engine, through the engine's own client (the Elasticsearch
// client refuses an OpenSearch server). None with PostgreSQL search: the database check covers it.
import type { Config } from '../../config.js';
import type { Check } from '../../lib/readiness.js';

export function searchReadinessChecks(config: Config): Record<string, Check> {
  const es = config.search.elasticsearch;
  if (!es) return {};
  let ping: Promise<Check> | undefined;
  return {
    [es.kind]: async (signal) => {
      ping ??= import('./elasticsearch/backend.js').then(async ({ createBackend }) => {
        const backend = await createBackend({ ...es, timeoutMs: config.server.readyzTimeoutMs });
        return (s: AbortSignal) => backend.ping(s);
      });
      await (await ping)(signal);
    },
  };
}
