// The consent page of the OAuth code flow (docs/oauth.md) in a real browser: headless Chromium (Debian's,
// driven by playwright-core; no browser is downloaded). The app's redirect URI is a local HTTP server.
import crypto from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, newAccount, startTestServer, type TestServer } from './helpers/server.js';

const CHROMIUM = '/usr/bin/chromium';

let server: TestServer;
let browser: Browser;
let app: http.Server;
let appUrl = '';
const callbacks: URL[] = [];

beforeAll(async () => {
  server = await startTestServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  // The third-party app's callback: records what it was given.
  app = http.createServer((req, res) => {
    callbacks.push(new URL(req.url ?? '/', appUrl));
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('back in the app');
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => app?.close(r));
  await server?.stop();
});

describe.skipIf(!existsSync(CHROMIUM))('consent page in Chromium', () => {
  it('names the app and scopes, signs in with an API key, and sends the code back to the app', async () => {
    const owner = await newAccount(server, 'pro');
    const redirectUri = `${appUrl}/callback`;
    const created = await owner.client.post('/v1/oauth/clients', { name: 'Acme <Helpdesk>', redirect_uris: [redirectUri] });
    expect(created.status).toBe(201);
    const verifier = crypto.randomBytes(32).toString('base64url');
    const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: created.body.id,
      redirect_uri: redirectUri,
      scope: 'conversations:read account:read',
      state: 'browser-state',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });

    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    try {
      await page.goto(`${server.url}/oauth/authorize?${q}`);
      expect(await page.locator('#app-name').textContent()).toBe('Acme <Helpdesk>'); // escaped, shown as text
      const text = await page.locator('body').innerText();
      expect(text).toContain('conversations:read');
      expect(text).toContain('account:read');

      // A wrong key: the page says so and stays.
      await page.fill('#api_key', `amc_${'B'.repeat(43)}`);
      await page.click('button[value="allow"]');
      await expect.poll(() => page.locator('.error').textContent()).toContain('not valid');

      await page.fill('#api_key', owner.api_key);
      await Promise.all([page.waitForURL((u) => u.toString().startsWith(redirectUri)), page.click('button[value="allow"]')]);
      expect(await page.locator('body').innerText()).toContain('back in the app');
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }

    const callback = callbacks.find((c) => c.searchParams.get('state') === 'browser-state')!;
    expect(callback.pathname).toBe('/callback');
    const res = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `Basic ${Buffer.from(`${created.body.id}:${created.body.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code')!,
        redirect_uri: redirectUri,
        code_verifier: verifier,
      }).toString(),
    });
    expect(res.status).toBe(200);
    const { access_token } = (await res.json()) as { access_token: string };
    const account = await client(server.url, access_token).get('/v1/account');
    expect(account.status).toBe(200);
    expect(account.body.id).toBe(owner.account.id);
  }, 120_000);
});
