// What the OAuth server and its consent page need of the application. A leaf: the server (which the
// App holds) never imports app.ts, so there is no cycle through it.
import type { Config } from '../../config.js';
import type { Database } from '../../lib/db.js';
import type { Logger } from '../../lib/logger.js';
import type { ApiKeyCache } from '../accounts/authenticate.js';

export interface OAuthHost {
  config: Config;
  db: Database;
  log: Logger;
  apiKeys: ApiKeyCache;
}

/** What the consent page needs of the server. */
export interface ConsentServer {
  app: OAuthHost;
  /** Keys the consent form's CSRF token (an HMAC of the interaction uid). */
  csrfKey: Buffer;
}
