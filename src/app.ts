// What every request and job shares: configuration, database, logger and caches.
import type { Config } from './config.js';
import type { Database } from './lib/db.js';
import type { Logger } from './lib/logger.js';
import { ApiKeyCache } from './modules/accounts/authenticate.js';

export interface App {
  config: Config;
  db: Database;
  log: Logger;
  apiKeys: ApiKeyCache;
}

export function createApp(config: Config, db: Database, log: Logger): App {
  return { config, db, log, apiKeys: new ApiKeyCache(config.apiKeyCacheTtlMs) };
}

/** The account a request acts for. Every service call is scoped by it. */
export interface AccountScope {
  accountId: string;
  plan: string;
}
