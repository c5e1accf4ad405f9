import DataLoader from 'dataloader';
import type { AccountScope, App } from '../app.js';
import { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Principal } from '../modules/accounts/authenticate.js';
import { loadConversationBodies } from '../modules/conversations/load-conversation.js';

/** Per-request context shared by the GraphQL and REST doors. */
export interface RequestContext {
  app: App;
  principal: Principal | null;
  requestId: string;
  log: Logger;
  /** Absolute base URL of this deployment (PUBLIC_URL, or the request's own origin). */
  baseUrl: string;
  loaders: ReturnType<typeof createLoaders>;
}

export function createLoaders(app: App, getScope: () => AccountScope) {
  let bodies: DataLoader<string, { content: string; metadata: Record<string, unknown> } | undefined> | undefined;
  return {
    get conversationBody() {
      return (bodies ??= new DataLoader(async (ids) => {
        const found = await loadConversationBodies(app.db, getScope(), ids);
        return ids.map((id) => found.get(id));
      }));
    },
  };
}

export function requireScope(ctx: RequestContext): AccountScope {
  if (!ctx.principal) throw new AppError('unauthorized', 'Missing or invalid API key');
  return ctx.principal;
}

export function createRequestContext(app: App, principal: Principal | null, requestId: string, log: Logger, baseUrl: string): RequestContext {
  const ctx: RequestContext = {
    app,
    principal,
    requestId,
    log,
    baseUrl,
    loaders: createLoaders(app, () => requireScope(ctx)),
  };
  return ctx;
}
