// What every door calls: `Authorization: Bearer …` with an API key (`amc_…`, authenticate.ts) or an
// OAuth access token of a third-party app (modules/oauth, docs/oauth.md). Both → the same Principal;
// a token's principal also carries its client and scopes, checked per field (oauth-scopes.ts).
import type { App } from '../../app.js';
import { OAuthServer } from '../oauth/oauth-server.js';
import { looksLikeSecret } from './api-key-secret.js';
import { authenticate, bearerToken, type Principal } from './authenticate.js';

export async function authenticateRequest(app: App, authorization: string | null | undefined, baseUrl: string): Promise<Principal> {
  const token = bearerToken(authorization);
  if (token && !looksLikeSecret(token) && OAuthServer.looksLikeToken(token)) return app.oauth.authenticate(token, baseUrl);
  return authenticate(app.db, app.apiKeys, authorization);
}
