// OAuth 2.0 for third-party apps (docs/oauth.md), through HTTP as an app would use it: clients, client
// credentials, the authorization code flow with PKCE (driven with plain HTTP requests and cookies),
// scopes on REST and GraphQL, revocation, refresh rotation, introspection, the plan gate, isolation.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, newAccount, readResponse, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

const ALL_SCOPES = 'conversations:read conversations:write summaries:write exports:write webhooks:manage account:read';

async function proAccount() {
  return newAccount(server, 'pro');
}

async function registerClient(owner: Awaited<ReturnType<typeof proAccount>>, body: Record<string, unknown>) {
  const res = await owner.client.post('/v1/oauth/clients', body);
  expect(res.status, res.text).toBe(201);
  return res.body as { id: string; client_secret: string | null };
}

function basic(id: string, secret: string) {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

async function tokenRequest(params: Record<string, string>, auth?: string) {
  return readResponse(
    await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(auth ? { Authorization: auth } : {}) },
      body: new URLSearchParams(params).toString(),
    }),
  );
}

async function clientCredentials(id: string, secret: string, scope = ALL_SCOPES) {
  const res = await tokenRequest({ grant_type: 'client_credentials', scope }, basic(id, secret));
  expect(res.status, res.text).toBe(200);
  return res.body as { access_token: string; token_type: string; expires_in: number; scope: string };
}

const gql = (token: string, query: string, variables?: Record<string, unknown>) =>
  client(server.url, undefined).post('/graphql', { query, variables }, { Authorization: `Bearer ${token}` });

describe('discovery', () => {
  it('serves RFC 8414 metadata with our endpoints, S256 only, and the six scopes', async () => {
    const res = await readResponse(await fetch(`${server.url}/.well-known/oauth-authorization-server`));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      issuer: server.url,
      authorization_endpoint: `${server.url}/oauth/authorize`,
      token_endpoint: `${server.url}/oauth/token`,
      revocation_endpoint: `${server.url}/oauth/revoke`,
      introspection_endpoint: `${server.url}/oauth/introspect`,
      code_challenge_methods_supported: ['S256'],
    });
    expect(res.body.scopes_supported).toEqual(expect.arrayContaining(ALL_SCOPES.split(' ')));
    expect(res.body.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'client_credentials', 'refresh_token']));
  });
});

describe('clients', () => {
  it('registers, lists without secrets, and revokes over /v1/oauth/clients', async () => {
    const owner = await proAccount();
    const created = await owner.client.post('/v1/oauth/clients', { name: 'CRM plug-in', grant_types: ['client_credentials'] });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      name: 'CRM plug-in',
      public: false,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      revoked_at: null,
    });
    expect(created.body.id).toMatch(/^oac_/);
    expect(created.body.client_secret).toMatch(/^amcs_/);

    const list = await owner.client.get('/v1/oauth/clients');
    expect(list.status).toBe(200);
    expect(list.body.data.map((c: { id: string }) => c.id)).toEqual([created.body.id]);
    expect(list.text).not.toContain(created.body.client_secret);

    const revoked = await owner.client.delete(`/v1/oauth/clients/${created.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).toMatch(/Z$/);
    const refused = await tokenRequest({ grant_type: 'client_credentials' }, basic(created.body.id, created.body.client_secret));
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_client');
  });

  it('refuses accounts whose plan does not allow OAuth with 403 forbidden', async () => {
    const { client: free } = await newAccount(server, 'free');
    const res = await free.post('/v1/oauth/clients', { name: 'x', grant_types: ['client_credentials'] });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect(res.body.error.message).toMatch(/not available on the free plan.*pro/);
  });

  it('validates redirect URIs and grant types, every bad field at once', async () => {
    const owner = await proAccount();
    const res = await owner.client.post('/v1/oauth/clients', {
      name: '',
      redirect_uris: ['http://evil.example/cb', 'https://ok.example/cb#frag'],
      grant_types: ['password'],
    });
    expect(res.status).toBe(422);
    expect(Object.keys(res.body.error.details.fields).sort()).toEqual(['grant_types.0', 'name', 'redirect_uris.0', 'redirect_uris.1']);
  });
});

describe('client credentials', () => {
  it('gets a token and uses it on REST and GraphQL for the owner account only, counted like an API key', async () => {
    const owner = await proAccount();
    const other = await proAccount();
    const theirs = await other.client.post('/v1/conversations', { title: 'not yours', content: 'secret' });
    const app = await registerClient(owner, { name: 'Helpdesk', grant_types: ['client_credentials'] });

    // A wrong secret is invalid_client; the right one gives an opaque Bearer token with the scopes asked.
    expect((await tokenRequest({ grant_type: 'client_credentials' }, basic(app.id, `${app.client_secret}x`))).status).toBe(401);
    const token = await clientCredentials(app.id, app.client_secret!);
    expect(token.token_type).toBe('Bearer');
    expect(token.scope.split(' ').sort()).toEqual(ALL_SCOPES.split(' ').sort());
    const bearer = client(server.url, token.access_token);

    const created = await bearer.post('/v1/conversations', { title: 'From the app', content: 'hello' });
    expect(created.status, created.text).toBe(201);
    const list = await bearer.get('/v1/conversations');
    expect(list.status).toBe(200);
    expect(list.body.data.map((c: { id: string }) => c.id)).toEqual([created.body.id]);
    expect((await bearer.get(`/v1/conversations/${theirs.body.id}`)).status).toBe(404);
    expect((await owner.client.get(`/v1/conversations/${created.body.id}`)).status).toBe(200);

    const q = await gql(token.access_token, 'query { conversations { data { id } } account { id } }');
    expect(q.status).toBe(200);
    expect(q.body.data.conversations.data.map((c: { id: string }) => c.id)).toEqual([created.body.id]);
    expect(q.body.data.account.id).toBe(owner.account.id);

    // The app's four requests (two REST reads, one write, one GraphQL query; the foreign 404 included)
    // show under its client id; the owner's own API-key requests are in the total but under no client.
    const usage = await owner.client.get('/v1/account/usage');
    expect(usage.body.api_requests.total).toBeGreaterThan(4);
    expect(usage.body.api_requests.by_client).toEqual({ [app.id]: 4 });
    // The app's requests are the owner's usage only, even the one that probed the other account's id.
    expect((await other.client.get('/v1/account/usage')).body.api_requests.by_client).toEqual({});
    const gqlUsage = await gql(token.access_token, '{ usage { apiRequests { byClient } } }');
    expect(gqlUsage.body.data.usage.apiRequests.byClient).toEqual({ [app.id]: 5 });
    // Each request counts once in the day's figure, whoever made it (the account is a day old at most).
    const today = (await owner.client.get('/v1/account')).body.api_usage.requests_today;
    expect((await owner.client.get('/v1/account/usage')).body.api_requests.total).toBe(today + 1);
    const clients = await owner.client.get('/v1/oauth/clients');
    expect(clients.body.data[0].last_used_at).toMatch(/Z$/);
  });

  it('limits a read-only token to reads: 403 forbidden on writes over REST and GraphQL', async () => {
    const owner = await proAccount();
    const app = await registerClient(owner, { name: 'Reporting', grant_types: ['client_credentials'] });
    const token = await clientCredentials(app.id, app.client_secret!, 'conversations:read');
    expect(token.scope).toBe('conversations:read');
    const bearer = client(server.url, token.access_token);

    expect((await bearer.get('/v1/conversations')).status).toBe(200);
    const write = await bearer.post('/v1/conversations', { title: 't', content: 'c' });
    expect(write.status).toBe(403);
    expect(write.body).toEqual({
      error: {
        code: 'forbidden',
        message: 'This access token lacks the conversations:write scope needed for createConversation',
        details: { required_scope: 'conversations:write' },
      },
    });
    expect((await bearer.get('/v1/account')).status).toBe(403);
    expect((await bearer.get('/v1/webhooks')).status).toBe(403);
    // API-key-only routes: an app cannot mint keys or register apps.
    expect((await bearer.post('/v1/api_keys', { name: 'x' })).body.error.code).toBe('forbidden');
    expect((await bearer.get('/v1/oauth/clients')).status).toBe(403);

    const read = await gql(token.access_token, 'query { conversations { data { id } } }');
    expect(read.body.errors).toBeUndefined();
    const mutation = await gql(token.access_token, 'mutation { createConversation(title: "t", content: "c") { id } }');
    expect(mutation.body.data ?? null).toBeNull();
    expect(mutation.body.errors[0].extensions.code).toBe('forbidden');
    // Hidden behind a fragment, still refused.
    const sneaky = await gql(token.access_token, 'query { ...A } fragment A on Query { account { id } }');
    expect(sneaky.body.errors[0].extensions.code).toBe('forbidden');
    expect((await owner.client.get('/v1/conversations')).body.data).toEqual([]);
  });

  it('answers unknown, revoked and malformed tokens with the 401 envelope', async () => {
    const owner = await proAccount();
    const app = await registerClient(owner, { name: 'Short-lived', grant_types: ['client_credentials'] });
    const token = await clientCredentials(app.id, app.client_secret!);
    for (const bad of ['A'.repeat(43), `${token.access_token.slice(0, -1)}_`, 'x.y.z']) {
      const res = await client(server.url, bad).get('/v1/conversations');
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
    expect((await client(server.url, token.access_token).get('/v1/conversations')).status).toBe(200);

    // RFC 7009 revocation by the client; then introspection says inactive and the API says 401.
    const rev = await readResponse(
      await fetch(`${server.url}/oauth/revoke`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(app.id, app.client_secret!) },
        body: new URLSearchParams({ token: token.access_token }).toString(),
      }),
    );
    expect(rev.status).toBe(200);
    const after = await client(server.url, token.access_token).get('/v1/conversations');
    expect(after.status).toBe(401);
    expect(after.body).toEqual({ error: { code: 'unauthorized', message: 'Missing or invalid API key', details: {} } });
  });

  it('introspects tokens for their client (RFC 7662)', async () => {
    const owner = await proAccount();
    const app = await registerClient(owner, { name: 'Introspector', grant_types: ['client_credentials'] });
    const token = await clientCredentials(app.id, app.client_secret!, 'account:read');
    const res = await readResponse(
      await fetch(`${server.url}/oauth/introspect`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(app.id, app.client_secret!) },
        body: new URLSearchParams({ token: token.access_token }).toString(),
      }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ active: true, client_id: app.id, scope: 'account:read', token_type: 'Bearer' });

    // Another account's app learns nothing about this token, and cannot revoke it.
    const stranger = await registerClient(await proAccount(), { name: 'Nosy', grant_types: ['client_credentials'] });
    const asStranger = (path: string) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(stranger.id, stranger.client_secret!) },
        body: new URLSearchParams({ token: token.access_token }).toString(),
      }).then(readResponse);
    expect((await asStranger('/oauth/introspect')).body).toEqual({ active: false });
    await asStranger('/oauth/revoke');
    expect((await client(server.url, token.access_token).get('/v1/account')).status).toBe(200);
  });

  it('stops a token when the account leaves the Pro plan (within the cache time; 0 here)', async () => {
    const zeroCache = await startTestServer({ API_KEY_CACHE_TTL_MS: '0' });
    try {
      const owner = await newAccount(zeroCache, 'pro');
      const created = await owner.client.post('/v1/oauth/clients', { name: 'Gate', grant_types: ['client_credentials'] });
      const res = await fetch(`${zeroCache.url}/oauth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(created.body.id, created.body.client_secret) },
        body: 'grant_type=client_credentials&scope=conversations%3Aread',
      });
      const { access_token } = (await res.json()) as { access_token: string };
      const bearer = client(zeroCache.url, access_token);
      expect((await bearer.get('/v1/conversations')).status).toBe(200);
      const { setAccountPlan } = await import('../src/modules/accounts/set-plan.js');
      await setAccountPlan(zeroCache.running.app, { accountId: owner.account.id, plan: 'professional' });
      expect((await bearer.get('/v1/conversations')).status).toBe(401);
    } finally {
      await zeroCache.stop();
    }
  });
});

// --- authorization code with PKCE, driven with fetch: manual redirects, cookies carried by hand ---

class CookieJar {
  private cookies = new Map<string, string>();
  store(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      if (!value || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

const pkce = () => {
  const verifier = crypto.randomBytes(32).toString('base64url');
  return { verifier, challenge: crypto.createHash('sha256').update(verifier).digest('base64url') };
};

async function go(jar: CookieJar, url: string, init: RequestInit = {}) {
  const res = await fetch(url.startsWith('http') ? url : `${server.url}${url}`, {
    ...init,
    redirect: 'manual',
    headers: { ...(init.headers ?? {}), Cookie: jar.header() },
  });
  jar.store(res);
  return res;
}

/** Authorize → consent page → POST the form with the API key → follow redirects to the app's callback. */
async function authorize(opts: {
  clientId: string;
  redirectUri: string;
  scope: string;
  apiKey: string;
  challenge: string;
  state?: string;
  action?: string;
}) {
  const jar = new CookieJar();
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: opts.clientId,
    redirect_uri: opts.redirectUri,
    scope: opts.scope,
    state: opts.state ?? 'st4te',
    code_challenge: opts.challenge,
    code_challenge_method: 'S256',
  });
  const start = await go(jar, `/oauth/authorize?${q}`);
  expect(start.status, await start.clone().text()).toBe(303);
  const pageUrl = start.headers.get('location')!;
  expect(pageUrl).toMatch(/^\/oauth\/interaction\//);
  const page = await go(jar, pageUrl);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1];
  const submitted = await go(jar, pageUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf, api_key: opts.apiKey, action: opts.action ?? 'allow' }).toString(),
  });
  expect(submitted.status).toBe(303);
  let location = submitted.headers.get('location')!;
  while (!location.startsWith(opts.redirectUri)) {
    const next = await go(jar, location);
    expect(next.status, await next.clone().text()).toBe(303);
    location = next.headers.get('location')!;
  }
  return { html, callback: new URL(location) };
}

describe('authorization code with PKCE', () => {
  it('runs the whole flow for a confidential client, with refresh rotation and scopes enforced', async () => {
    const developer = await proAccount();
    const user = await proAccount();
    const redirectUri = 'https://crm.example/callback';
    const app = await registerClient(developer, { name: 'Acme CRM', redirect_uris: [redirectUri] });
    const { verifier, challenge } = pkce();
    const { html, callback } = await authorize({
      clientId: app.id,
      redirectUri,
      scope: 'conversations:read account:read',
      apiKey: user.api_key,
      challenge,
    });
    expect(html).toContain('Acme CRM');
    expect(html).toContain('conversations:read');
    expect(html).toContain('account:read');
    expect(html).not.toContain('webhooks:manage');
    expect(callback.searchParams.get('state')).toBe('st4te');
    const code = callback.searchParams.get('code')!;
    expect(code).toBeTruthy();

    // A wrong verifier fails; the right one gives tokens; the code is single-use.
    const auth = basic(app.id, app.client_secret!);
    expect(
      (await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: pkce().verifier }, auth))
        .status,
    ).toBe(400);
    const { verifier: v2, challenge: c2 } = pkce();
    const second = await authorize({
      clientId: app.id,
      redirectUri,
      scope: 'conversations:read account:read',
      apiKey: user.api_key,
      challenge: c2,
    });
    const tokens = await tokenRequest(
      { grant_type: 'authorization_code', code: second.callback.searchParams.get('code')!, redirect_uri: redirectUri, code_verifier: v2 },
      auth,
    );
    expect(tokens.status, tokens.text).toBe(200);
    expect(tokens.body.scope.split(' ').sort()).toEqual(['account:read', 'conversations:read']);
    expect(tokens.body.refresh_token).toBeTruthy();
    void verifier;

    // The token acts for the user who consented, not for the developer.
    const bearer = client(server.url, tokens.body.access_token);
    const account = await bearer.get('/v1/account');
    expect(account.status, account.text).toBe(200);
    expect(account.body.id).toBe(user.account.id);
    expect((await bearer.post('/v1/conversations', { title: 't', content: 'c' })).status).toBe(403);

    // A code used twice fails, and revokes what it gave (RFC 6749 §4.1.2).
    const replay = await tokenRequest(
      { grant_type: 'authorization_code', code: second.callback.searchParams.get('code')!, redirect_uri: redirectUri, code_verifier: v2 },
      auth,
    );
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    expect((await bearer.get('/v1/account')).status).toBe(401);
    const { verifier: v3, challenge: c3 } = pkce();
    const third = await authorize({
      clientId: app.id,
      redirectUri,
      scope: 'conversations:read account:read',
      apiKey: user.api_key,
      challenge: c3,
    });
    const fresh = await tokenRequest(
      { grant_type: 'authorization_code', code: third.callback.searchParams.get('code')!, redirect_uri: redirectUri, code_verifier: v3 },
      auth,
    );
    expect(fresh.status, fresh.text).toBe(200);
    tokens.body = fresh.body;

    // Refresh rotation: the new refresh token works, the old one is refused afterwards.
    const refreshed = await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token }, auth);
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(tokens.body.refresh_token);
    const reused = await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token }, auth);
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe('invalid_grant');
    expect((await client(server.url, refreshed.body.access_token).get('/v1/account')).status).toBe(401); // the whole grant was revoked on reuse
  });

  it('serves public clients with PKCE and no secret; denial goes back as access_denied', async () => {
    const owner = await proAccount();
    const redirectUri = 'http://127.0.0.1:8765/cb';
    const app = await registerClient(owner, { name: 'Desktop app', redirect_uris: [redirectUri], public: true });
    expect(app.client_secret).toBeNull();
    const { verifier, challenge } = pkce();
    const { callback } = await authorize({ clientId: app.id, redirectUri, scope: 'conversations:read', apiKey: owner.api_key, challenge });
    const tokens = await tokenRequest({
      grant_type: 'authorization_code',
      client_id: app.id,
      code: callback.searchParams.get('code')!,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    });
    expect(tokens.status, tokens.text).toBe(200);
    expect((await client(server.url, tokens.body.access_token).get('/v1/conversations')).status).toBe(200);

    const denied = await authorize({
      clientId: app.id,
      redirectUri,
      scope: 'conversations:read',
      apiKey: owner.api_key,
      challenge,
      action: 'deny',
    });
    expect(denied.callback.searchParams.get('error')).toBe('access_denied');
  });

  it('refuses requests without PKCE, without state, with a plain challenge or an unregistered redirect URI', async () => {
    const owner = await proAccount();
    const redirectUri = 'https://crm.example/cb';
    const app = await registerClient(owner, { name: 'Strict', redirect_uris: [redirectUri] });
    const base = { response_type: 'code', client_id: app.id, redirect_uri: redirectUri, scope: 'conversations:read', state: 's' };
    const { challenge } = pkce();
    const noPkce = await fetch(`${server.url}/oauth/authorize?${new URLSearchParams(base)}`, { redirect: 'manual' });
    expect(new URL(noPkce.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
    const plain = await fetch(
      `${server.url}/oauth/authorize?${new URLSearchParams({ ...base, code_challenge: challenge, code_challenge_method: 'plain' })}`,
      { redirect: 'manual' },
    );
    expect(new URL(plain.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
    const { state: _s, ...noState } = base;
    const stateless = await fetch(
      `${server.url}/oauth/authorize?${new URLSearchParams({ ...noState, code_challenge: challenge, code_challenge_method: 'S256' })}`,
      { redirect: 'manual' },
    );
    expect(stateless.status).toBe(400);
    expect((await stateless.json()).error).toBe('invalid_request');
    const elsewhere = await fetch(
      `${server.url}/oauth/authorize?${new URLSearchParams({ ...base, redirect_uri: 'https://crm.example/cb/other', code_challenge: challenge, code_challenge_method: 'S256' })}`,
      { redirect: 'manual' },
    );
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.headers.get('location')).toBeNull();
  });

  it('refuses a consent form without the right CSRF token or with a bad API key', async () => {
    const owner = await proAccount();
    const redirectUri = 'https://crm.example/cb';
    const app = await registerClient(owner, { name: 'CSRF target', redirect_uris: [redirectUri] });
    const jar = new CookieJar();
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: app.id,
      redirect_uri: redirectUri,
      scope: 'account:read',
      state: 's',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    });
    const start = await go(jar, `/oauth/authorize?${q}`);
    const pageUrl = start.headers.get('location')!;
    const html = await (await go(jar, pageUrl)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1];
    const post = (body: Record<string, string>) =>
      go(jar, pageUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body).toString(),
      });
    expect((await post({ csrf: 'forged', api_key: owner.api_key, action: 'allow' })).status).toBe(403);
    const badKey = await post({ csrf, api_key: `amc_${'A'.repeat(43)}`, action: 'allow' });
    expect(badKey.status).toBe(401);
    expect(await badKey.text()).toContain('That API key is not valid');
    // Without the interaction cookie (another browser), the page is refused.
    const stranger = await fetch(`${server.url}${pageUrl}`, { redirect: 'manual' });
    expect(stranger.status).toBe(400);
  });
});

describe('subscriptions with an access token', () => {
  const EVENTS = 'subscription { conversationEvents { type conversationId } }';
  const CHAT = 'Tom: Can you send the pricing sheet?\nAnna: Sure, tomorrow.';

  it("streams the account's events over SSE and WebSocket, and refuses a token without the read scope", async () => {
    const { createClient } = await import('graphql-ws');
    const { default: WebSocket } = await import('ws');
    const { sse } = await import('./helpers/sse.js');
    const { eventually } = await import('./helpers/jobs.js');
    const owner = await proAccount();
    const app = await registerClient(owner, { name: 'Live feed', grant_types: ['client_credentials'] });
    const reader = await clientCredentials(app.id, app.client_secret!, 'conversations:read');
    const accountOnly = await clientCredentials(app.id, app.client_secret!, 'account:read');

    const refused = await sse(server.url, accountOnly.access_token, EVENTS);
    await refused.done;
    expect(JSON.stringify(refused.items)).toContain('forbidden');

    const stream = await sse(server.url, reader.access_token, EVENTS);
    expect(stream.status).toBe(200);
    const ws = createClient({
      url: `${server.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${reader.access_token}` },
      retryAttempts: 0,
      lazy: true,
    });
    const wsItems: any[] = [];
    const stop = ws.subscribe(
      { query: EVENTS },
      { next: (v) => void wsItems.push(v), error: (e) => void wsItems.push({ error: e }), complete: () => {} },
    );
    try {
      const seen = (items: any[], id: string) => items.some((it) => it?.data?.conversationEvents?.conversationId === id);
      let both = false;
      for (let i = 0; i < 40 && !both; i++) {
        const probe = await owner.client.post('/v1/conversations', { title: 'probe', content: CHAT });
        both = await eventually(
          async () => seen(stream.items, probe.body.id) && seen(wsItems, probe.body.id),
          (s) => s,
          500,
        );
      }
      expect(both).toBe(true);
    } finally {
      stream.close();
      stop();
      await ws.dispose();
    }

    // A WebSocket with a read-less token: the operation is refused with forbidden.
    const ws2 = createClient({
      url: `${server.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${accountOnly.access_token}` },
      retryAttempts: 0,
      lazy: true,
    });
    const errors = await new Promise<any>((resolve) =>
      ws2.subscribe({ query: EVENTS }, { next: (v) => resolve(v), error: (e) => resolve(e), complete: () => resolve(null) }),
    );
    await ws2.dispose();
    expect(JSON.stringify(errors)).toContain('forbidden');
  });
});

describe('scope table', () => {
  it('names a scope (or API keys only) for every GraphQL root field, so REST routes get theirs too', async () => {
    const { schema } = await import('../src/graphql/schema.js');
    const { FIELD_SCOPES } = await import('../src/modules/oauth/oauth-scopes.js');
    const { REST_ROUTES } = await import('../src/rest/routes.js');
    const fields = ['Query', 'Mutation', 'Subscription'].flatMap((t) =>
      Object.keys(schema.getType(t) && 'getFields' in schema.getType(t)! ? (schema.getType(t) as any).getFields() : {}).map(
        (f) => `${t}.${f}`,
      ),
    );
    expect(fields.filter((f) => !(f in FIELD_SCOPES))).toEqual([]);
    expect(Object.keys(FIELD_SCOPES).filter((f) => !fields.includes(f))).toEqual([]);
    expect(REST_ROUTES.filter((r) => !(r.field in FIELD_SCOPES)).map((r) => r.path)).toEqual([]);
  });
});

describe('CLI', () => {
  it('creates, lists and revokes OAuth clients, printing one JSON object; refuses non-Pro accounts', async () => {
    const { cli } = await import('./helpers/cli.js');
    const { inject } = await import('vitest');
    const env = { DATABASE_URL: inject('databaseUrl') };
    const owner = await proAccount();
    const created = await cli(
      [
        'oauth',
        'clients',
        'create',
        '--account',
        owner.account.id,
        '--name',
        'CLI app',
        '--redirect-uri',
        'https://app.example/cb',
        '--grant',
        'authorization_code',
        '--grant',
        'client_credentials',
      ],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const out = JSON.parse(created.stdout);
    expect(out).toMatchObject({
      client: { name: 'CLI app', redirect_uris: ['https://app.example/cb'], grant_types: ['authorization_code', 'client_credentials'] },
    });
    expect(out.client_id).toBe(out.client.id);
    expect(out.client_secret).toMatch(/^amcs_/);
    // The secret works against the running server.
    expect((await clientCredentials(out.client_id, out.client_secret, 'account:read')).scope).toBe('account:read');

    const listed = await cli(['oauth', 'clients', 'list', '--account', owner.account.id], env);
    expect(JSON.parse(listed.stdout).data.map((c: { id: string }) => c.id)).toEqual([out.client_id]);
    expect(listed.stdout).not.toContain(out.client_secret);
    const revoked = await cli(['oauth', 'clients', 'revoke', '--account', owner.account.id, '--id', out.client_id], env);
    expect(JSON.parse(revoked.stdout).revoked_at).toMatch(/Z$/);

    const free = await newAccount(server, 'free');
    const refused = await cli(
      ['oauth', 'clients', 'create', '--account', free.account.id, '--name', 'x', '--grant', 'client_credentials'],
      env,
    );
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(JSON.parse(refused.stderr.trim().split('\n').pop()!).error.code).toBe('forbidden');
  }, 300_000);
});

describe('embedded database', () => {
  it('runs client credentials and the code flow on PGlite (no DATABASE_URL)', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { loadConfig } = await import('../src/config.js');
    const { start } = await import('../src/main.js');
    const { createAccount } = await import('../src/modules/accounts/create-account.js');
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aimychats-oauth-embedded-'));
    const running = await start(
      loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', NODE_ENV: 'test', RATE_LIMITS_ENABLED: 'false' }),
    );
    try {
      const owner = await createAccount(running.app.db, running.app.config, { email: 'oauth-embedded@example.com', plan: 'pro' });
      const c = client(running.url, owner.api_key);
      const redirectUri = 'https://app.example/cb';
      const registered = await c.post('/v1/oauth/clients', {
        name: 'Embedded',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'client_credentials'],
      });
      expect(registered.status, registered.text).toBe(201);
      const auth = basic(registered.body.id, registered.body.client_secret);
      const post = (params: Record<string, string>) =>
        fetch(`${running.url}/oauth/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: auth },
          body: new URLSearchParams(params).toString(),
        }).then(readResponse);
      const cc = await post({ grant_type: 'client_credentials', scope: 'conversations:write conversations:read' });
      expect(cc.status, cc.text).toBe(200);
      expect((await client(running.url, cc.body.access_token).post('/v1/conversations', { title: 't', content: 'c' })).status).toBe(201);

      // The code flow against this server (the helper drives `server`; here the same steps by hand).
      const jar = new CookieJar();
      const { verifier, challenge } = pkce();
      const at = (u: string, init: RequestInit = {}) =>
        fetch(u.startsWith('http') ? u : `${running.url}${u}`, {
          ...init,
          redirect: 'manual',
          headers: { ...(init.headers ?? {}), Cookie: jar.header() },
        }).then((r) => (jar.store(r), r));
      const q = new URLSearchParams({
        response_type: 'code',
        client_id: registered.body.id,
        redirect_uri: redirectUri,
        scope: 'conversations:read',
        state: 's',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      const pageUrl = (await at(`/oauth/authorize?${q}`)).headers.get('location')!;
      const csrf = /name="csrf" value="([^"]+)"/.exec(await (await at(pageUrl)).text())![1];
      let location = (
        await at(pageUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ csrf, api_key: owner.api_key, action: 'allow' }).toString(),
        })
      ).headers.get('location')!;
      while (!location.startsWith(redirectUri)) location = (await at(location)).headers.get('location')!;
      const code = new URL(location).searchParams.get('code')!;
      const tokens = await post({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier });
      expect(tokens.status, tokens.text).toBe(200);
      const list = await client(running.url, tokens.body.access_token).get('/v1/conversations');
      expect(list.status).toBe(200);
      expect(list.body.data).toHaveLength(1);
      const rotated = await post({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token });
      expect(rotated.status, rotated.text).toBe(200);
      expect((await post({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token })).status).toBe(400);
    } finally {
      await running.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});
