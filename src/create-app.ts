// Builds the App of a process (main.ts, worker.ts, cli.ts): every part, including the job runner with
// every module's job definitions.
import type { App } from './app.js';
import type { Config } from './config.js';
import { createJobRunner, type JobRunner } from './jobs/runner.js';
import type { Database } from './lib/db.js';
import { EventBus } from './lib/events.js';
import type { Logger } from './lib/logger.js';
import { ApiKeyCache } from './modules/accounts/authenticate.js';
import { JOBS } from './modules/job-registry.js';
import { OAuthServer } from './modules/oauth/oauth-server.js';
import { RequestAccounting } from './modules/usage/request-accounting.js';

class Application implements App {
  readonly apiKeys: ApiKeyCache;
  readonly events: EventBus;
  readonly accounting: RequestAccounting;
  readonly jobs: JobRunner;
  readonly oauth: OAuthServer;

  constructor(
    readonly config: Config,
    readonly db: Database,
    readonly log: Logger,
  ) {
    this.apiKeys = new ApiKeyCache(config.apiKeyCacheTtlMs);
    this.events = new EventBus(config, log);
    this.accounting = new RequestAccounting(config, db, log);
    this.oauth = new OAuthServer(this);
    // Last: the runner hands this App to job handlers once workers start.
    this.jobs = createJobRunner(this, JOBS);
  }
}

export function createApp(config: Config, db: Database, log: Logger): App {
  return new Application(config, db, log);
}
