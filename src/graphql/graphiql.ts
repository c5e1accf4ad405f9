// The GraphiQL page on a browser GET /graphql, self-contained (docs/operations.md, "GraphiQL"). Yoga's
// default page loads GraphiQL's scripts and styles from a public CDN, so offline, behind a firewall or
// under a strict CSP it stays on "Loading…". `@graphql-yoga/render-graphiql` (the Yoga team's package)
// renders the same GraphiQL with everything inlined: one HTML page (~9 MB; ~2.4 MB gzipped) whose
// styles, script and editor workers (blob: URLs made by that script) come from the page itself. No
// request leaves the host; the only requests it makes are to /graphql.
//
// Its CSP: the inline script is allowed by its SHA-256 hash (computed once, when the page is first
// rendered), never by 'unsafe-inline'; styles need 'unsafe-inline' (the editor injects style elements
// at run time); workers come from blob:; images and fonts from data:; requests only to this origin.
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { GraphiQLOptions } from 'graphql-yoga';
import { etagOf, matchesIfNoneMatch } from '../rest/conditional.js';

export const GRAPHIQL_OPTIONS: GraphiQLOptions = {
  title: 'AImyChats GraphQL',
  // A placeholder to replace with an API key; the page sends it with every request.
  // ASCII only: a header value outside ISO-8859-1 makes the browser's fetch throw before sending.
  headers: JSON.stringify({ Authorization: 'Bearer YOUR_API_KEY' }, null, 2),
  defaultQuery: '# Put your API key in the Headers tab below, then run a query:\n{\n  account {\n    plan\n  }\n}\n',
};

interface Page {
  html: Buffer;
  /** Filled in the background once compressed; the plain page is served until then. */
  gzip?: Buffer;
  etag: string;
  csp: string;
}

const sha256 = (text: string) => crypto.createHash('sha256').update(text, 'utf8').digest('base64');

/** The CSP of a rendered page: its inline scripts by hash, nothing from elsewhere. */
export function graphiqlCsp(html: string): string {
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${sha256(m[1])}'`);
  return [
    "default-src 'none'",
    `script-src ${scripts.join(' ')}`,
    "style-src 'unsafe-inline'",
    'worker-src blob:',
    'img-src data:',
    'font-src data:',
    // GraphiQL's requests (queries, introspection, subscriptions over SSE) go to /graphql only.
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

async function render(): Promise<Page> {
  // Imported on first use: the bundle is ~9 MB of JavaScript that production (GraphiQL off) never needs.
  const { renderGraphiQL } = await import('@graphql-yoga/render-graphiql');
  const text = renderGraphiQL(GRAPHIQL_OPTIONS);
  // Weak: the same tag names the plain and the gzipped bytes.
  const page: Page = { html: Buffer.from(text, 'utf8'), etag: `W/${etagOf(text)}`, csp: graphiqlCsp(text) };
  // ~1.5 s of CPU: on libuv's thread pool, not the event loop.
  promisify(zlib.gzip)(page.html).then(
    (gz) => (page.gzip = gz),
    () => {}, // served uncompressed then
  );
  return page;
}

/** Serves the page (GET /graphql asking for HTML, GRAPHIQL on): ETag/304, gzip when accepted, its own CSP. */
export function createGraphiQLPage() {
  let page: Promise<Page> | undefined;
  return async function serveGraphiQL(req: IncomingMessage, res: ServerResponse): Promise<void> {
    page ??= render();
    let p: Page;
    try {
      p = await page;
    } catch (e) {
      page = undefined;
      throw e;
    }
    const common = { 'Content-Security-Policy': p.csp, ETag: p.etag, 'Cache-Control': 'no-cache', Vary: 'Accept-Encoding' };
    if (matchesIfNoneMatch(req.headers['if-none-match'], p.etag)) {
      res.writeHead(304, common);
      res.end();
      return;
    }
    const gzip = p.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) ? p.gzip : undefined;
    const body = gzip ?? p.html;
    res.writeHead(200, {
      ...common,
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': body.length,
      ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
