// Idempotency-Key on GraphQL mutations (docs/api.md): the same key store as the REST door's POSTs. A
// POST /graphql whose operation is a mutation claims the key once admitted (useAdmission); its answer
// is stored before it goes out, and a retry with the same query, operation name and variables gets it
// again with `Idempotent-Replayed: true`. Queries and subscriptions ignore the header.
import { getOperationAST, GraphQLError, parse, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { App } from '../app.js';
import { isAppError, type AppError } from '../lib/errors.js';
import type { Principal } from '../modules/accounts/authenticate.js';
import {
  claimIdempotencyKey,
  finishIdempotencyKey,
  IDEMPOTENCY_HEADER,
  idempotencyKeyOf,
  isReplayable,
  REPLAY_HEADER,
  requestFingerprint,
  type StoredResponse,
} from '../modules/idempotency/idempotency-keys.js';

/** Errors that say the server failed, not the request: such an answer is not stored, and a retry runs again. */
const SERVER_FAILURES = new Set(['internal_error', 'service_unavailable']);

export function useIdempotency(app: App, principalOf: (request: Request) => Principal | undefined): Plugin {
  const claimed = new WeakMap<Request, { accountId: string; key: string }>();
  const replays = new WeakMap<Request, StoredResponse>();
  return {
    async onParams({ request, params, setResult }) {
      const principal = principalOf(request);
      if (!principal || request.method !== 'POST') return; // refused by admission, or not a mutation's door
      try {
        const key = idempotencyKeyOf(request.headers.get(IDEMPOTENCY_HEADER));
        if (key === undefined || !isMutation(params.query, params.operationName)) return;
        const fingerprint = requestFingerprint('POST', '/graphql', {
          query: params.query,
          operationName: params.operationName ?? null,
          variables: params.variables ?? {},
        });
        const claim = await claimIdempotencyKey(app, principal.accountId, key, fingerprint);
        if (claim.kind === 'replay') {
          replays.set(request, claim.response);
          setResult({ data: null }); // not executed; onResponse puts the stored answer in its place
        } else {
          claimed.set(request, { accountId: principal.accountId, key });
        }
      } catch (e) {
        if (!isAppError(e)) throw e;
        setResult({ errors: [requestError(e)] });
      }
    },
    async onResponse({ request, response, setResponse }) {
      const replay = replays.get(request);
      if (replay) {
        setResponse(new Response(replay.body, { status: replay.status, headers: { ...replay.headers, [REPLAY_HEADER]: 'true' } }));
        return;
      }
      const claim = claimed.get(request);
      if (!claim) return;
      claimed.delete(request);
      const body = await response.clone().text();
      const stored =
        isReplayable(response.status) && !failedOnServer(body)
          ? {
              status: response.status,
              headers: { 'Content-Type': response.headers.get('content-type') ?? 'application/json; charset=utf-8' },
              body,
            }
          : undefined;
      await finishIdempotencyKey(app, claim.accountId, claim.key, stored);
    },
  };
}

function isMutation(query: string | undefined, operationName: string | undefined): boolean {
  if (!query) return false;
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch {
    return false; // Yoga answers the syntax error itself
  }
  return getOperationAST(document, operationName)?.operation === 'mutation';
}

function failedOnServer(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as { errors?: { extensions?: { code?: unknown } }[] };
    return (parsed.errors ?? []).some((e) => SERVER_FAILURES.has(String(e.extensions?.code)));
  } catch {
    return true; // not one JSON answer (a stream): nothing to replay
  }
}

/** The 409/422 of the key itself: the whole request's fate, so with its HTTP status. */
function requestError(e: AppError): GraphQLError {
  return new GraphQLError(e.message, {
    extensions: {
      code: e.code,
      ...(Object.keys(e.details).length ? { details: e.details } : {}),
      http: { status: e.status, headers: e.headers },
    },
  });
}
