// The thin difference between Elasticsearch and OpenSearch: each engine speaks through its own client
// (@elastic/elasticsearch refuses any server that is not Elasticsearch; OpenSearch needs
// @opensearch-project/opensearch), behind this one interface. Everything else — the mapping
// (mapping.ts), the query bodies (query-builder.ts), versioned indexing and alias swaps
// (elasticsearch-engine.ts) — is shared. Both clients' errors become a BackendError, so the engine
// reads a version conflict, a missing document or an unreachable cluster the same way for both.
import type { estypes } from '@elastic/elasticsearch';

export type BackendKind = 'elasticsearch' | 'opensearch';

export interface BackendConfig {
  kind: BackendKind;
  url: string;
  /** Elasticsearch API key (an OpenSearch URL may carry user:password instead). */
  apiKey?: string;
  index: string;
  timeoutMs: number;
}

export interface BackendHit<T> {
  _id?: string | null;
  _score?: number | null;
  _source?: T;
  highlight?: Record<string, string[]>;
  sort?: estypes.SortResults;
}

export interface BackendSearchResponse<T> {
  total: number;
  hits: BackendHit<T>[];
}

/** One `_bulk` item: its HTTP status, and the error when it failed. */
export interface BulkItem {
  status: number;
  error?: unknown;
}

export interface IndexWrite {
  index: string;
  id: string;
  routing: string;
  version?: number;
  versionType?: 'external' | 'external_gte';
}

export type AliasAction =
  | { add: { index: string; alias: string; is_write_index?: boolean } }
  | { remove: { index: string; alias: string } };

export interface SearchBackend {
  readonly kind: BackendKind;
  ping(signal?: AbortSignal): Promise<void>;
  aliasExists(name: string): Promise<boolean>;
  /** The indices an alias points at ([] when there is no such alias). */
  aliasIndices(name: string): Promise<string[]>;
  createIndex(
    index: string,
    body: { settings: unknown; mappings: unknown; aliases?: Record<string, { is_write_index?: boolean }> },
  ): Promise<void>;
  deleteIndex(index: string): Promise<void>;
  /** Applied atomically by the cluster: readers see the old set of indices or the new one. */
  updateAliases(actions: AliasAction[]): Promise<void>;
  refresh(index: string): Promise<void>;
  /** Changes dynamic index settings, e.g. `{ refresh_interval: '-1' }` while an index is being built. */
  putSettings(index: string, settings: Record<string, unknown>): Promise<void>;
  index(w: IndexWrite, document: unknown): Promise<void>;
  delete(w: IndexWrite): Promise<void>;
  /** `operations`: action/document pairs as `_bulk` takes them; items answer in request order. */
  bulk(operations: unknown[]): Promise<BulkItem[]>;
  search<T>(index: string, routing: string | undefined, body: estypes.SearchRequest): Promise<BackendSearchResponse<T>>;
  count(index: string, routing: string | undefined, query: estypes.QueryDslQueryContainer | undefined): Promise<number>;
  close(): Promise<void>;
}

/** A cluster's answer or silence, the same for both clients. */
export class BackendError extends Error {
  constructor(
    message: string,
    /** HTTP status when the cluster answered. */
    readonly status: number | undefined,
    /** `error.type` of the answer, e.g. `version_conflict_engine_exception`. */
    readonly type: string | undefined,
    /** No answer (connection refused or reset, timeout) or 503: worth retrying later. */
    readonly unavailable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BackendError';
  }
}

export const isConflict = (e: unknown) => e instanceof BackendError && e.status === 409;
export const isNotFound = (e: unknown) => e instanceof BackendError && e.status === 404;
export const isUnavailable = (e: unknown) => e instanceof BackendError && e.unavailable;

export function totalOf(t: number | { value: number } | undefined | null): number {
  return typeof t === 'number' ? t : (t?.value ?? 0);
}

/** The configured engine's backend (its client module is loaded only when used). */
export async function createBackend(config: BackendConfig): Promise<SearchBackend> {
  if (config.kind === 'opensearch') {
    const { openSearchBackend } = await import('./opensearch-backend.js');
    return openSearchBackend(config);
  }
  const { elasticBackend, createElasticClient } = await import('./elastic-backend.js');
  return elasticBackend(createElasticClient(config));
}
