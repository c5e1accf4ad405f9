import type { AccountScope, App } from '../app.js';
import type { Principal } from '../lib/account-scope.js';
import { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

/** Per-request context shared by the GraphQL and REST doors. It knows no feature. */
export interface RequestContext {
  app: App;
  principal: Principal | null;
  requestId: string;
  log: Logger;
  /** Absolute base URL of this deployment (PUBLIC_URL, or the request's own origin). */
  baseUrl: string;
}

export function requireScope(ctx: RequestContext): AccountScope {
  if (!ctx.principal) throw new AppError('unauthorized', 'Missing or invalid API key');
  return ctx.principal;
}

export function createRequestContext(
  app: App,
  principal: Principal | null,
  requestId: string,
  log: Logger,
  baseUrl: string,
): RequestContext {
  return { app, principal, requestId, log, baseUrl };
}

const perRequest = new WeakMap<RequestContext, Map<object, unknown>>();

/**
 * A value made once per request, the first time it is asked for — a module's DataLoaders:
 * `const load = requestLoader(ctx, KEY, () => new DataLoader(…))`, with KEY a module-level object.
 */
export function requestLoader<T>(ctx: RequestContext, key: object, create: () => T): T {
  let values = perRequest.get(ctx);
  if (!values) perRequest.set(ctx, (values = new Map()));
  if (!values.has(key)) values.set(key, create());
  return values.get(key) as T;
}
