// The consent page of the authorization code flow (docs/oauth.md): names the app and the scopes it asks
// for; the user signs in with an API key of their account (for now: the product has no passwords) and
// approves or denies. The form carries a CSRF token bound to the interaction (an HMAC of its uid, which
// oidc-provider also binds to a signed cookie); the page has a strict CSP and is never cached or framed.
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { isAppError } from '../../lib/errors.js';
import { readBody } from '../../lib/http.js';
import type { Logger } from '../../lib/logger.js';
import { authenticate } from '../accounts/authenticate.js';
import type { ConsentServer } from './oauth-host.js';
import { planAllowsOAuth } from './oauth-plan.js';
import { OAUTH_SCOPES, resourceOf, SCOPE_DESCRIPTIONS, type OAuthScope } from './oauth-scopes.js';

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}' +
  'h1{font-size:1.4rem}ul{padding-left:1.2rem}code{background:#f3f3f3;padding:0 .2rem}' +
  'label,input{display:block;width:100%;box-sizing:border-box}input{margin:.3rem 0 1rem;padding:.5rem;font:inherit}' +
  'button{font:inherit;padding:.5rem 1rem;margin-right:.5rem}.error{color:#a00}';
const STYLE_HASH = `'sha256-${crypto.createHash('sha256').update(STYLE).digest('base64')}'`;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function csrfToken(server: ConsentServer, uid: string): string {
  return crypto.createHmac('sha256', server.csrfKey).update(uid).digest('base64url');
}

function sendPage(res: ServerResponse, status: number, title: string, body: string, formTargets: string[] = []): void {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
    'Cache-Control': 'no-store',
    // The form posts here; the answer redirects through /oauth/authorize to the app (form-action covers redirects).
    'Content-Security-Policy': `default-src 'none'; style-src ${STYLE_HASH}; form-action 'self' ${formTargets.join(' ')}; frame-ancestors 'none'; base-uri 'none'`,
  });
  res.end(html);
}

interface Shown {
  uid: string;
  clientName: string;
  clientId: string;
  scopes: OAuthScope[];
  redirectOrigin: string;
}

function consentForm(server: ConsentServer, s: Shown, error?: string): string {
  const scopes = s.scopes.length
    ? `<ul>${s.scopes.map((sc) => `<li><code>${escapeHtml(sc)}</code>: ${escapeHtml(SCOPE_DESCRIPTIONS[sc])}</li>`).join('')}</ul>`
    : '<p>No access to your data (no scopes asked for).</p>';
  return (
    `<h1><span id="app-name">${escapeHtml(s.clientName)}</span> wants to access your AImyChats account</h1>` +
    `<p>It asks to:</p>${scopes}` +
    `<p>Once you allow it, it will be redirected to <code>${escapeHtml(s.redirectOrigin)}</code>.</p>` +
    (error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '') +
    `<form method="post" action="/oauth/interaction/${encodeURIComponent(s.uid)}">` +
    `<input type="hidden" name="csrf" value="${csrfToken(server, s.uid)}">` +
    `<label for="api_key">Sign in with an API key of your account</label>` +
    `<input id="api_key" name="api_key" type="password" autocomplete="off" placeholder="amc_…">` +
    `<button type="submit" name="action" value="allow">Allow</button><button type="submit" name="action" value="deny">Deny</button>` +
    `</form>`
  );
}

export async function handleInteraction(
  server: ConsentServer,
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  log: Logger,
): Promise<void> {
  const uid = decodeURIComponent(url.pathname.slice('/oauth/interaction/'.length));
  let details: Awaited<ReturnType<Provider['interactionDetails']>>;
  try {
    details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('uid mismatch');
  } catch {
    return sendPage(res, 400, 'Sign-in expired', '<h1>This sign-in has expired</h1><p>Go back to the app and start again.</p>');
  }
  const clientId = String(details.params.client_id);
  const client = await provider.Client.find(clientId);
  if (!client) return sendPage(res, 400, 'Unknown app', '<h1>This app is no longer registered</h1>');
  const redirectUri = String(details.params.redirect_uri);
  const shown: Shown = {
    uid,
    clientId,
    clientName: client.clientName ?? clientId,
    scopes: String(details.params.scope ?? '')
      .split(' ')
      .filter((s): s is OAuthScope => (OAUTH_SCOPES as readonly string[]).includes(s)),
    redirectOrigin: new URL(redirectUri).origin,
  };
  const targets = [shown.redirectOrigin];
  const title = `Allow ${shown.clientName}?`;

  if (req.method === 'GET' || req.method === 'HEAD') return sendPage(res, 200, title, consentForm(server, shown), targets);
  if (req.method !== 'POST') return sendPage(res, 405, 'Not allowed', '<h1>Method not allowed</h1>');

  let form: URLSearchParams;
  try {
    if (!/^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) throw new Error('not a form');
    form = new URLSearchParams((await readBody(req, 16 * 1024)).toString('utf8'));
  } catch {
    return sendPage(res, 400, title, consentForm(server, shown, 'The form could not be read; try again.'), targets);
  }
  const expected = Buffer.from(csrfToken(server, uid));
  const given = Buffer.from(form.get('csrf') ?? '');
  if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) {
    return sendPage(res, 403, 'Forbidden', '<h1>This form is not valid here</h1><p>Go back to the app and start again.</p>');
  }
  if (form.get('action') === 'deny') {
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'The user denied access' },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  let accountId: string;
  try {
    const principal = await authenticate(server.app.db, server.app.apiKeys, `Bearer ${(form.get('api_key') ?? '').trim()}`);
    if (!planAllowsOAuth(server.app.config, principal.plan)) {
      return sendPage(
        res,
        403,
        title,
        consentForm(server, shown, `OAuth apps are not available on the ${principal.plan} plan of this account.`),
        targets,
      );
    }
    accountId = principal.accountId;
  } catch (e) {
    if (!isAppError(e)) throw e;
    return sendPage(res, 401, title, consentForm(server, shown, 'That API key is not valid.'), targets);
  }
  const grant = new provider.Grant({ accountId, clientId });
  // Our scopes are both the provider's (its `scopes`) and the API resource's: granted as both.
  grant.addOIDCScope(shown.scopes.join(' '));
  grant.addResourceScope(resourceOf(provider.issuer), shown.scopes.join(' '));
  const grantId = await grant.save();
  log.info({ clientId, accountId, scopes: shown.scopes }, 'oauth: consent given');
  await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
}
