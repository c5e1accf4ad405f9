// What every request and job shares: configuration, database, logger and caches. The type only:
// create-app.ts builds it.
import type { Config } from './config.js';
import type { JobRunner } from './jobs/job-runner.js';
import type { Database } from './lib/db.js';
import type { EventBus } from './lib/events.js';
import type { Logger } from './lib/logger.js';
import type { ApiKeyCache } from './modules/accounts/authenticate.js';
import type { OAuthServer } from './modules/oauth/oauth-server.js';
import type { RequestAccounting } from './modules/usage/request-accounting.js';

export type { AccountScope } from './lib/account-scope.js';

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

// Job handlers receive this App. jobs/ sits below the modules and never imports this file: it names
// the application `JobApp`, which is declared to be the App here.
declare module './jobs/definition.js' {
  interface JobApp extends App {}
}
