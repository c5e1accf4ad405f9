// SearchBackend over @elastic/elasticsearch (8.x/9.x API: flat request parameters, bare answers).
import { Client, errors, type estypes } from '@elastic/elasticsearch';
import { BackendError, totalOf, type BackendConfig, type SearchBackend } from './backend.js';

export function createElasticClient(config: Pick<BackendConfig, 'url' | 'apiKey' | 'timeoutMs'>): Client {
  return new Client({ node: config.url, auth: config.apiKey ? { apiKey: config.apiKey } : undefined, requestTimeout: config.timeoutMs });
}

function wrap(e: unknown): unknown {
  if (e instanceof errors.ResponseError) {
    const type = (e.body as { error?: { type?: string } } | undefined)?.error?.type;
    return new BackendError(e.message, e.statusCode, type, e.statusCode === 503, { cause: e });
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

export function elasticBackend(client: Client): SearchBackend {
  return {
    kind: 'elasticsearch',
    ping: (signal) =>
      call(async () => {
        if (!(await client.ping(undefined, { signal })))
          throw new BackendError('the cluster did not answer the ping', undefined, undefined, true);
      }),
    aliasExists: (name) => call(() => client.indices.existsAlias({ name })),
    aliasIndices: (name) =>
      call(async () => {
        if (!(await client.indices.existsAlias({ name }))) return [];
        return Object.keys(await client.indices.getAlias({ name }));
      }),
    createIndex: (index, body) =>
      call(async () => {
        await client.indices.create({
          index,
          settings: body.settings as estypes.IndicesIndexSettings,
          mappings: body.mappings as estypes.MappingTypeMapping,
          ...(body.aliases ? { aliases: body.aliases } : {}),
        });
      }),
    deleteIndex: (index) => call(async () => void (await client.indices.delete({ index }))),
    updateAliases: (actions) => call(async () => void (await client.indices.updateAliases({ actions }))),
    refresh: (index) => call(async () => void (await client.indices.refresh({ index }))),
    putSettings: (index, settings) => call(async () => void (await client.indices.putSettings({ index, settings }))),
    index: (w, document) =>
      call(async () => {
        await client.index({ index: w.index, id: w.id, routing: w.routing, version: w.version, version_type: w.versionType, document });
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
        const res = await client.bulk({ operations: operations as estypes.BulkOperationContainer[], refresh: false });
        return res.items.map((item) => {
          const r = Object.values(item)[0]!;
          return { status: r.status, error: r.error };
        });
      }),
    search: <T>(index: string, routing: string | undefined, body: estypes.SearchRequest) =>
      call(async () => {
        const res = await client.search<T>({ index, ...(routing ? { routing } : {}), ...body });
        return { total: totalOf(res.hits.total), hits: res.hits.hits };
      }),
    count: (index, routing, query) =>
      call(async () => (await client.count({ index, ...(routing ? { routing } : {}), ...(query ? { query } : {}) })).count),
    close: () => client.close(),
  };
}
