// GraphiQL in a real browser (headless Debian chromium driven by playwright-core; docs/testing.md):
// the page served by the server itself (no CDN) shows the editor, runs `{ __typename }` with an API key
// set in its Headers tab and shows the result; every request the page made went to the server's own
// origin, and its CSP (inline script by hash) blocked nothing it needs.
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAccount, startTestServer, type TestServer } from './helpers/server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Never a downloaded browser; no calls home (background networking, component updates, sync).
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const hasChromium = fs.existsSync(CHROMIUM);

let server: TestServer;
let browser: Browser;
beforeAll(async () => {
  if (!hasChromium) return;
  [server, browser] = await Promise.all([startTestServer({}), chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true })]);
});
afterAll(async () => {
  await Promise.all([browser?.close(), server?.stop()]);
});

// .ci/run installs chromium (Debian package) when it is missing; elsewhere, without it, this cannot run.
describe.skipIf(!hasChromium)(`GraphiQL in headless Chromium (${CHROMIUM}; skipped when it is not installed)`, () => {
  it('shows the editor, runs { __typename } with an API key from the Headers tab, and requests nothing from elsewhere', async () => {
    const { api_key } = await newAccount(server);
    const origin = new URL(server.url).origin;
    const context = await browser.newContext();
    const page = await context.newPage();
    const requests: { url: string; method: string; authorization?: string; body?: string | null }[] = [];
    context.on('request', (r) =>
      requests.push({ url: r.url(), method: r.method(), authorization: r.headers().authorization, body: r.postData() }),
    );
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
    });

    // The first request renders the ~9 MB page; a busy shared machine needs the room.
    const response = await page.goto(`${server.url}/graphql`, { timeout: 120_000 });
    expect(response!.status()).toBe(200);
    const csp = response!.headers()['content-security-policy'];
    expect(csp).toMatch(/script-src 'sha256-[\w+/=]+'(;|$)/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(csp).toContain("connect-src 'self'");
    expect(await page.title()).toBe('AImyChats GraphQL');

    // The editor is there (Monaco, inside GraphiQL's query editor).
    const queryEditor = page.locator('.graphiql-query-editor .monaco-editor').first();
    await queryEditor.waitFor({ state: 'visible', timeout: 60_000 });

    // The API key, through the Headers tab.
    await page.getByRole('button', { name: 'Headers' }).click();
    const headersEditor = page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .monaco-editor').first();
    await headersEditor.waitFor({ state: 'visible' });
    await headersEditor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${api_key}` }));

    // The query, then run it.
    await queryEditor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText('{ __typename }');
    await page.getByRole('button', { name: /Execute query/ }).click();

    const result = page.locator('section.result-window');
    await expect.poll(async () => (await result.innerText()).replace(/\s+/g, ' '), { timeout: 30_000 }).toContain('"__typename": "Query"');

    // The query went out with the key; the page asked nothing of any other origin.
    const run = requests.find((r) => r.method === 'POST' && r.body?.includes('__typename') && !r.body.includes('IntrospectionQuery'));
    expect(run?.url).toBe(`${origin}/graphql`);
    expect(run?.authorization).toBe(`Bearer ${api_key}`);
    expect(requests.length).toBeGreaterThan(1);
    const elsewhere = requests.filter((r) => !r.url.startsWith('data:') && new URL(r.url).origin !== origin);
    expect(elsewhere).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  }, 240_000);
});
