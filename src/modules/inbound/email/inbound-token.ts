// The per-account inbound email token, for providers that can post to a URL but cannot send an
// `Authorization` header: `POST /v1/inbound/email?token=amci_…`, or the token as the password of HTTP
// Basic auth (`https://x:amci_…@host/v1/inbound/email`, which keeps it out of URLs and logs). It opens
// that one route and nothing else. Stored as a SHA-256 hash with a visible prefix, like API keys;
// issuing a new one replaces the old.
import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { App } from '../../../app.js';
import type { Database } from '../../../lib/db.js';
import { AppError } from '../../../lib/errors.js';
import { isId } from '../../../lib/ids.js';
import { authenticate, type Principal } from '../../accounts/authenticate.js';
import { hashSecret } from '../../accounts/api-key-secret.js';

const TOKEN = /^amci_[A-Za-z0-9_-]{43}$/;

export interface IssuedToken {
  account_id: string;
  token: string;
  prefix: string;
  created_at: string;
  /** Where to point a provider (relative to the deployment's base URL). */
  path: string;
}

export async function issueInboundToken(db: Database, accountId: string): Promise<IssuedToken> {
  if (!isId('account', accountId)) throw AppError.notFound('Account');
  const token = `amci_${crypto.randomBytes(32).toString('base64url')}`;
  const rows = await db.query<{ created_at: Date }>(
    `INSERT INTO inbound_tokens (account_id, prefix, hash, created_at)
     SELECT id, $2, $3, now() FROM accounts WHERE id = $1
     ON CONFLICT (account_id) DO UPDATE SET prefix = excluded.prefix, hash = excluded.hash, created_at = excluded.created_at
     RETURNING created_at`,
    [accountId, token.slice(0, 13), hashSecret(token)],
  );
  if (!rows[0]) throw AppError.notFound('Account');
  return {
    account_id: accountId,
    token,
    prefix: token.slice(0, 13),
    created_at: rows[0].created_at.toISOString(),
    path: `/v1/inbound/email?token=${token}`,
  };
}

function tokenFrom(req: IncomingMessage, url: URL): string | null {
  const q = url.searchParams.getAll('token');
  if (q.length) return q.length === 1 ? q[0]! : '';
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  return null;
}

const UNAUTHORIZED = () => new AppError('unauthorized', 'Missing or invalid API key or inbound token');

/** The account of a request to /v1/inbound/email: a Bearer API key, or the inbound token. */
export async function authenticateInboundEmail(app: App, req: IncomingMessage, url: URL): Promise<Principal> {
  if (/^Bearer\s/i.test(req.headers.authorization ?? '')) return authenticate(app.db, app.apiKeys, req.headers.authorization);
  const token = tokenFrom(req, url);
  if (!token || !TOKEN.test(token)) throw UNAUTHORIZED();
  const rows = await app.db.query<{ account_id: string; plan: string }>(
    `SELECT a.id AS account_id, a.plan FROM inbound_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.hash = $1`,
    [hashSecret(token)],
  );
  if (!rows[0]) throw UNAUTHORIZED();
  return { accountId: rows[0].account_id, plan: rows[0].plan, keyId: 'inbound_token' };
}
