// SearchBackend over @opensearch-project/opensearch (request bodies under `body`, answers under `body`).
// The request bodies themselves are the ones Elasticsearch gets (query-builder.ts, mapping.ts): the
// query DSL, mapping and analysis settings used here are common to both.
import { Client, errors } from '@opensearch-project/opensearch';
import { BackendError, totalOf, type BackendConfig, type SearchBackend } from './backend.js';
import { OPENSEARCH_INDEX_SETTINGS } from './mapping.js';

function wrap(e: unknown): unknown {
  if (e instanceof errors.ResponseError) {
    const body = e.body as { error?: { type?: string } } | undefined;
    const status = e.statusCode ?? undefined;
    return new BackendError(e.message, status, body?.error?.type, status === 503, { cause: e });
  }
  if (e instanceof errors.ConnectionError || e instanceof errors.TimeoutError || e instanceof errors.NoLivingConnectionsError) {
    return new BackendError(e.message, undefined, undefined, true, { cause: e });
  }
  return e;
}

async function call<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw wrap(e);
  }
}

// The client's generated request types are narrower than the JSON it sends; the bodies are checked
// by the cluster suite (tests/search.opensearch.test.ts) instead.
type Body = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export function openSearchBackend(config: Pick<BackendConfig, 'url' | 'timeoutMs'>): SearchBackend {
  const client = new Client({ node: config.url, requestTimeout: config.timeoutMs });
  return {
    kind: 'opensearch',
    ping: () =>
      call(async () => {
        const res = await client.ping();
        if (!res.body) throw new BackendError('the cluster did not answer the ping', undefined, undefined, true);
      }),
    aliasExists: (name) => call(async () => (await client.indices.existsAlias({ name })).body === true),
    aliasIndices: (name) =>
      call(async () => {
        if ((await client.indices.existsAlias({ name })).body !== true) return [];
        return Object.keys((await client.indices.getAlias({ name })).body as object);
      }),
    createIndex: (index, body) =>
      call(async () => {
        const settings = { ...(body.settings as Record<string, unknown>), ...OPENSEARCH_INDEX_SETTINGS };
        await client.indices.create({ index, body: { ...body, settings } as Body });
      }),
    deleteIndex: (index) => call(async () => void (await client.indices.delete({ index }))),
    updateAliases: (actions) => call(async () => void (await client.indices.updateAliases({ body: { actions } as Body }))),
    refresh: (index) => call(async () => void (await client.indices.refresh({ index }))),
    putSettings: (index, settings) =>
      call(async () => void (await client.indices.putSettings({ index, body: { index: settings } as Body }))),
    index: (w, document) =>
      call(async () => {
        await client.index({
          index: w.index,
          id: w.id,
          routing: w.routing,
          version: w.version,
          version_type: w.versionType,
          body: document as Body,
        });
      }),
    delete: (w) =>
      call(async () => {
        await client.delete({
          index: w.index,
          id: w.id,
          routing: w.routing,
          ...(w.version !== undefined ? { version: w.version, version_type: w.versionType } : {}),
        });
      }),
    bulk: (operations) =>
      call(async () => {
        const res = await client.bulk({ body: operations as Body, refresh: false });
        return (res.body.items as Record<string, { status: number; error?: unknown }>[]).map((item) => {
          const r = Object.values(item)[0]!;
          return { status: r.status, error: r.error };
        });
      }),
    search: (index, routing, body) =>
      call(async () => {
        const res = await client.search({ index, ...(routing ? { routing } : {}), body: body as Body });
        const hits = res.body.hits;
        return { total: totalOf(hits.total as never), hits: hits.hits as never };
      }),
    count: (index, routing, query) =>
      call(async () => (await client.count({ index, ...(routing ? { routing } : {}), body: (query ? { query } : {}) as Body })).body.count),
    close: () => client.close(),
  };
}
