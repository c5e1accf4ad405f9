// What every request and job shares: configuration, database, logger and caches.
import type { Config } from './config.js';
import { JOBS } from './jobs/registry.js';
import { createJobRunner, type JobRunner } from './jobs/runner.js';
import type { Database } from './lib/db.js';
import { EventBus } from './lib/events.js';
import type { Logger } from './lib/logger.js';
import { ApiKeyCache } from './modules/accounts/authenticate.js';
import { OAuthServer } from './modules/oauth/oauth-server.js';
import { RequestAccounting } from './modules/usage/request-accounting.js';

export interface App {
  config: Config;
  db: Database;
  log: Logger;
  apiKeys: ApiKeyCache;
  /** Background jobs: BullMQ with REDIS_URL, in-process otherwise. */
  jobs: JobRunner;
  /** Change events for GraphQL subscriptions: Redis pub/sub with REDIS_URL, in-process otherwise. */
  events: EventBus;
  /** Rate limits and request counting (Redis with REDIS_URL, in-process otherwise); started by main.ts. */
  accounting: RequestAccounting;
  /** OAuth 2.0 authorization server for third-party apps (docs/oauth.md) and its token checks. */
  oauth: OAuthServer;
}

export function createApp(config: Config, db: Database, log: Logger): App {
  const app = { config, db, log, apiKeys: new ApiKeyCache(config.apiKeyCacheTtlMs) } as App;
  app.jobs = createJobRunner(app, JOBS);
  app.events = new EventBus(config, log);
  app.accounting = new RequestAccounting(config, db, log);
  app.oauth = new OAuthServer(app);
  return app;
}

/** The account a request acts for. Every service call is scoped by it. */
export interface AccountScope {
  accountId: string;
  plan: string;
}
