// OAuth 2.0 authorization server for third-party apps (docs/oauth.md), built on oidc-provider (an
// OpenID Certified™ implementation). It answers /oauth/* and /.well-known/* inside our node:http
// server; its storage is our database (oauth-adapter.ts); the consent page is ours (consent-page.ts).
// Access tokens are opaque; our doors accept them as Bearer tokens beside API keys (`authenticate`).
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { AppError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { Principal } from '../accounts/authenticate.js';
import { handleInteraction } from './consent-page.js';
import { createAdapterClass, pruneOAuthModels } from './oauth-adapter.js';
import { hashClientSecret } from './client-secret.js';
import type { OAuthHost } from './oauth-host.js';
import { planAllowsOAuth } from './oauth-plan.js';
import { OAUTH_SCOPES, resourceOf } from './oauth-scopes.js';

export const OAUTH_PREFIX = '/oauth/';
/** oidc-provider's access tokens: 256 random bits, base64url (API keys start with `amc_`). */
const OPAQUE_TOKEN = /^[A-Za-z0-9_-]{43}$/;
const MAX_CACHED = 10_000;

interface CacheEntry {
  principal: Principal | null;
  expires: number;
}

export class OAuthServer {
  private readonly providers = new Map<string, Provider>();
  private readonly cache = new Map<string, CacheEntry>();
  readonly cookieKeys: string[];
  /** Keys the consent form's CSRF token (an HMAC of the interaction uid). */
  readonly csrfKey: Buffer;
  private readonly jwk: crypto.JsonWebKey;
  private pruner?: NodeJS.Timeout;

  constructor(readonly app: OAuthHost) {
    this.cookieKeys = app.config.oauth.cookieKeys ?? [crypto.randomBytes(32).toString('base64url')];
    this.csrfKey = crypto.createHash('sha256').update(`csrf:${this.cookieKeys[0]}`).digest();
    // Signs nothing a client relies on (access tokens are opaque and ID tokens are not offered), but
    // oidc-provider needs one signing key; a per-process key avoids a production warning and a dev key.
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.jwk = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), use: 'sig', alg: 'ES256' } as crypto.JsonWebKey;
  }

  static looksLikeToken(token: string): boolean {
    return OPAQUE_TOKEN.test(token);
  }

  /** The authorization server's issuer: PUBLIC_URL, or the origin the request came to. */
  issuerFor(baseUrl: string): string {
    return this.app.config.publicUrl ?? baseUrl;
  }

  /** oidc-provider (and Koa) load on first use: CLI commands and workers never need them. */
  private library?: Promise<typeof import('oidc-provider')>;

  async providerFor(baseUrl: string): Promise<Provider> {
    const lib = await (this.library ??= import('oidc-provider'));
    const issuer = this.issuerFor(baseUrl);
    let provider = this.providers.get(issuer);
    if (!provider) {
      // Expired codes, tokens and interactions are never read; they are deleted hourly by serving instances.
      this.pruner ??= setInterval(
        () => void pruneOAuthModels(this.app).catch((err) => this.app.log.warn({ err }, 'oauth: pruning failed')),
        3_600_000,
      ).unref();
      if (this.providers.size >= 16) this.providers.clear(); // Host headers are the client's: bounded
      provider = this.createProvider(lib, issuer);
      this.providers.set(issuer, provider);
    }
    return provider;
  }

  private createProvider(lib: typeof import('oidc-provider'), issuer: string): Provider {
    const { config } = this.app;
    const resource = resourceOf(issuer);
    const adapter = createAdapterClass(this.app, (id, grantId) => this.forget(id, grantId));
    const configuration: Configuration = {
      adapter: adapter as unknown as Configuration['adapter'],
      clients: [],
      findAccount: async (_ctx, sub) => {
        const [row] = await this.app.db.query<{ id: string; plan: string }>(`SELECT id, plan FROM accounts WHERE id = $1`, [sub]);
        if (!row || !planAllowsOAuth(config, row.plan)) return undefined;
        return { accountId: row.id, claims: async () => ({ sub: row.id }) };
      },
      jwks: { keys: [this.jwk as never] },
      cookies: { keys: this.cookieKeys, long: { httpOnly: true, sameSite: 'lax' }, short: { httpOnly: true, sameSite: 'lax' } },
      scopes: [...OAUTH_SCOPES],
      clientDefaults: {
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
      },
      responseTypes: ['code'],
      // Exact redirect-URI matching, always (RFC 9700 §2.1): the client names one on every request.
      allowOmittingSingleRegisteredRedirectUri: false,
      pkce: { required: () => true },
      // Browser apps may call the token endpoint from the origins of their own redirect URIs only.
      clientBasedCORS: (_ctx, origin, client) => client.redirectUris?.some((u) => new URL(u).origin === origin) ?? false,
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        // Apps belong to different accounts: each may introspect and revoke only its own tokens (the
        // library's default lets any confidential client introspect any token).
        introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
        revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
        userinfo: { enabled: false },
        // Without a resource, oidc-provider's access tokens carry only OpenID scopes: every token is
        // for our API, whose scopes are the six of oauth-scopes.ts.
        resourceIndicators: {
          enabled: true,
          defaultResource: () => resource,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, indicator) => {
            if (indicator !== resource) throw new lib.errors.InvalidTarget(`the only resource is ${resource}`);
            return {
              scope: OAUTH_SCOPES.join(' '),
              accessTokenFormat: 'opaque',
              accessTokenTTL: config.oauth.accessTokenTtlSeconds,
              audience: resource,
            };
          },
        },
      },
      // The code flow gives a refresh token without asking for offline_access; every use rotates it.
      issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
      rotateRefreshToken: true,
      ttl: {
        AccessToken: config.oauth.accessTokenTtlSeconds,
        ClientCredentials: config.oauth.accessTokenTtlSeconds,
        AuthorizationCode: 60,
        RefreshToken: config.oauth.refreshTokenTtlSeconds,
        Grant: config.oauth.refreshTokenTtlSeconds,
        Interaction: 600,
        Session: 600,
        IdToken: 600,
      },
      routes: {
        authorization: '/oauth/authorize',
        token: '/oauth/token',
        revocation: '/oauth/revoke',
        introspection: '/oauth/introspect',
        jwks: '/oauth/jwks',
        end_session: '/oauth/session/end',
        userinfo: '/oauth/userinfo',
        code_verification: '/oauth/device',
        device_authorization: '/oauth/device/auth',
        pushed_authorization_request: '/oauth/par',
        registration: '/oauth/register',
        backchannel_authentication: '/oauth/backchannel',
        challenge: '/oauth/challenge',
      },
      interactions: { url: (_ctx, interaction) => `/oauth/interaction/${interaction.uid}` },
      // Errors that cannot go back to the app (unknown client, wrong redirect URI): our envelope.
      renderError: async (ctx: KoaContextWithOIDC, out) => {
        ctx.type = 'json';
        ctx.body = { error: { code: 'bad_request', message: out.error_description ?? out.error, details: { oauth_error: out.error } } };
      },
    };
    const provider = new lib.default(issuer, configuration);
    provider.proxy = true; // behind a TLS-terminating proxy the issuer is https (PUBLIC_URL)
    // Stored secrets are SHA-256 hashes: compare the presented one's hash in constant time.
    provider.Client.prototype.compareClientSecret = function (this: { clientSecret?: string }, actual: string) {
      const expected = Buffer.from(this.clientSecret ?? '', 'hex');
      const got = Buffer.from(hashClientSecret(String(actual ?? '')), 'hex');
      return expected.length === got.length && crypto.timingSafeEqual(expected, got);
    };
    provider.on('server_error', (_ctx, err) => this.app.log.error({ err }, 'oauth: server error'));
    return provider;
  }

  /** /oauth/* and /.well-known/*: the consent page is ours, everything else is oidc-provider's. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL, baseUrl: string, log: Logger): Promise<void> {
    const provider = await this.providerFor(baseUrl);
    const path = url.pathname;
    if (path.startsWith('/oauth/interaction/')) return handleInteraction(this, provider, req, res, url, log);
    if (path === '/oauth/authorize') {
      // POST is optional for the authorization endpoint (RFC 6749 §3.1); GET alone keeps `state` checkable here.
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return oauthError(res, 405, 'invalid_request', 'The authorization endpoint takes GET requests');
      // `state` protects the app's redirect endpoint against CSRF (RFC 9700 §4.7): required here.
      if (!url.searchParams.get('state')) return oauthError(res, 400, 'invalid_request', 'state is required');
    }
    if (path === '/.well-known/oauth-authorization-server') {
      // RFC 8414 metadata: the same document as OpenID discovery's (its members are RFC 8414's).
      req.url = `/.well-known/openid-configuration${url.search}`;
    }
    // oidc-provider's error page and redirects need no API CSP exemptions; its HTML (form_post) is not offered.
    await new Promise<void>((resolve) => {
      res.once('close', resolve);
      res.once('finish', resolve);
      void provider.callback()(req, res);
    });
  }

  /** A Bearer access token → the account it acts for, with its client and scopes; 401 otherwise. */
  async authenticate(token: string, baseUrl: string): Promise<Principal> {
    const now = Date.now();
    const hit = this.cache.get(token);
    if (hit && hit.expires > now) {
      if (!hit.principal) throw UNAUTHORIZED();
      return hit.principal;
    }
    const provider = await this.providerFor(baseUrl);
    const at = (await provider.AccessToken.find(token)) ?? (await provider.ClientCredentials.find(token));
    let principal: Principal | null = null;
    if (at?.clientId) {
      const clientId = at.clientId;
      const accountId = 'accountId' in at && typeof at.accountId === 'string' ? at.accountId : undefined;
      const [row] = await this.app.db.query<{ owner_id: string; owner_plan: string; account_id: string | null; plan: string | null }>(
        `SELECT c.account_id AS owner_id, o.plan AS owner_plan, a.id AS account_id, a.plan
           FROM oauth_clients c JOIN accounts o ON o.id = c.account_id
           LEFT JOIN accounts a ON a.id = COALESCE($2, c.account_id)
          WHERE c.id = $1 AND c.revoked_at IS NULL`,
        [clientId, accountId ?? null],
      );
      if (row?.account_id && row.plan && planAllowsOAuth(this.app.config, row.owner_plan) && planAllowsOAuth(this.app.config, row.plan)) {
        principal = {
          accountId: row.account_id,
          plan: row.plan,
          keyId: clientId,
          oauth: {
            clientId,
            scopes: (at.scope ?? '').split(' ').filter(Boolean),
            grantId: 'grantId' in at ? (at.grantId as string | undefined) : undefined,
          },
        };
        void this.app.db
          .query(
            `UPDATE oauth_clients SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
            [clientId],
          )
          .catch(() => {});
      }
    }
    const ttl = this.app.config.apiKeyCacheTtlMs;
    if (ttl > 0) {
      if (this.cache.size > MAX_CACHED) this.cache.clear();
      // Never beyond the token's own expiry.
      const exp = at?.exp ? at.exp * 1000 : now + ttl;
      this.cache.set(token, { principal, expires: Math.min(now + ttl, exp) });
    }
    if (!principal) throw UNAUTHORIZED();
    return principal;
  }

  /** A token destroyed (revoked, rotated) or a grant revoked: no cached answer keeps it alive here. */
  private forget(id: string, grantId?: string): void {
    if (id) this.cache.delete(id);
    if (grantId) for (const [k, e] of this.cache) if (e.principal?.oauth?.grantId === grantId) this.cache.delete(k);
  }

  forgetClient(clientId: string): void {
    for (const [k, e] of this.cache) if (e.principal?.oauth?.clientId === clientId) this.cache.delete(k);
  }
}

const UNAUTHORIZED = () => new AppError('unauthorized', 'Missing or invalid API key');

function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
  const body = JSON.stringify({ error, error_description: description });
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}
