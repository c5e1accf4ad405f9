// A small typed client for the AImyChats GraphQL API. The operations live in sdk/operations/*.graphql;
// `npm run codegen` turns each into a typed document in sdk/generated/ (its text plus its result and
// variable types), and `request` sends it: the variables are checked by the compiler and the answer is
// typed. Errors throw an AImyChatsError carrying the API's `extensions.code` (docs/sdk.md).
// No dependency beyond `fetch` (Node 18+, browsers, or the one you pass).
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';

/** The API's error codes (REST `error.code` and GraphQL `extensions.code`), and the client's own. */
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'storage_quota_exceeded'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'gone'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'validation_error'
  | 'rate_limit_exceeded'
  | 'internal_error'
  | 'service_unavailable'
  /** No GraphQL answer: the network failed, or the server answered something that is not GraphQL. */
  | 'network_error';

export interface GraphQLErrorEntry {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; details?: Record<string, unknown>; [key: string]: unknown };
}

export class AImyChatsError extends Error {
  /** The first error's `extensions.code` (or `network_error`). */
  readonly code: ErrorCode;
  /** HTTP status of the answer (0 when there was none). */
  readonly status: number;
  /** The first error's `extensions.details` — e.g. `fields` for validation errors, `reset_at` for rate limits. */
  readonly details: Record<string, unknown>;
  /** Every error of the answer. */
  readonly errors: GraphQLErrorEntry[];
  /** Seconds to wait, from `Retry-After` (429 and 503). */
  readonly retryAfter?: number;

  constructor(
    code: ErrorCode,
    message: string,
    init: { status?: number; details?: Record<string, unknown>; errors?: GraphQLErrorEntry[]; retryAfter?: number; cause?: unknown } = {},
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'AImyChatsError';
    this.code = code;
    this.status = init.status ?? 0;
    this.details = init.details ?? {};
    this.errors = init.errors ?? [];
    this.retryAfter = init.retryAfter;
  }
}

export interface ClientOptions {
  /** The GraphQL endpoint, e.g. `https://api.example.com/graphql`. */
  url: string;
  /** `amc_…`, sent as `Authorization: Bearer <apiKey>`. */
  apiKey: string;
  /** Defaults to the global fetch. */
  fetch?: typeof globalThis.fetch;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

/** A document generated from sdk/operations (or any string typed with its result and variables). */
// biome-ignore lint/complexity/noBannedTypes: codegen's TypedDocumentString extends String
export type Document<TResult, TVariables> = DocumentTypeDecoration<TResult, TVariables> & (string | String);

/** Variables may be left out when the operation has no required ones. */
type VariablesArg<TVariables> =
  Record<string, never> extends TVariables
    ? [variables?: TVariables, init?: RequestOptions]
    : [variables: TVariables, init?: RequestOptions];

export interface RequestOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export interface Client {
  /** Runs one operation; resolves with its `data`, or throws an AImyChatsError. */
  request<TResult, TVariables>(document: Document<TResult, TVariables>, ...args: VariablesArg<TVariables>): Promise<TResult>;
}

export function createClient(options: ClientOptions): Client {
  const doFetch = options.fetch ?? globalThis.fetch;
  return {
    async request<TResult, TVariables>(
      document: Document<TResult, TVariables>,
      ...[variables, init]: VariablesArg<TVariables>
    ): Promise<TResult> {
      let res: Response;
      let text: string;
      try {
        res = await doFetch(options.url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            Accept: 'application/graphql-response+json, application/json',
            Authorization: `Bearer ${options.apiKey}`,
            ...options.headers,
            ...init?.headers,
          },
          body: JSON.stringify({ query: document.toString(), variables: variables ?? {} }),
          signal: init?.signal,
        });
        text = await res.text();
      } catch (e) {
        throw new AImyChatsError('network_error', `Request to ${options.url} failed: ${(e as Error).message}`, { cause: e });
      }
      let body:
        | {
            data?: TResult | null;
            errors?: GraphQLErrorEntry[];
            error?: { code?: string; message?: string; details?: Record<string, unknown> };
          }
        | undefined;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      const retry = Number(res.headers.get('retry-after'));
      const retryAfter = Number.isFinite(retry) && res.headers.has('retry-after') ? retry : undefined;
      if (!body || typeof body !== 'object') {
        throw new AImyChatsError('network_error', `Not a GraphQL answer (HTTP ${res.status}): ${text.slice(0, 200)}`, {
          status: res.status,
          retryAfter,
        });
      }
      if (body.error?.code) {
        // The HTTP layer's REST envelope (e.g. 413 before GraphQL runs, or a wrong URL).
        throw new AImyChatsError(body.error.code as ErrorCode, body.error.message ?? `HTTP ${res.status}`, {
          status: res.status,
          details: body.error.details,
          retryAfter,
        });
      }
      if (body.errors?.length) {
        const first = body.errors[0];
        throw new AImyChatsError((first.extensions?.code as ErrorCode | undefined) ?? 'internal_error', first.message, {
          status: res.status,
          details: first.extensions?.details,
          errors: body.errors,
          retryAfter,
        });
      }
      if (body.data == null)
        throw new AImyChatsError('network_error', `No data in the answer (HTTP ${res.status})`, { status: res.status });
      return body.data;
    },
  };
}
