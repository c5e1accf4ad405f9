// Bearer API key → account. Keys are looked up by their SHA-256 hash; a short-lived in-process cache
// keeps the lookup off the hot path. Revoking a key clears it here at once; another instance may
// honour a revoked key for at most API_KEY_CACHE_TTL_MS (default 10 s).
import type { Principal } from '../../lib/account-scope.js';
import type { Database } from '../../lib/db.js';
import { AppError } from '../../lib/errors.js';
import { hashSecret, looksLikeSecret } from './api-key-secret.js';

export type { Principal };

interface Entry {
  principal: Principal | null;
  expires: number;
}

export class ApiKeyCache {
  private readonly entries = new Map<string, Entry>();
  constructor(private readonly ttlMs: number) {}

  get(token: string): Entry | undefined {
    const e = this.entries.get(token);
    if (e && e.expires > Date.now()) return e;
    if (e) this.entries.delete(token);
    return undefined;
  }

  set(token: string, principal: Principal | null): void {
    if (this.ttlMs <= 0) return;
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(token, { principal, expires: Date.now() + this.ttlMs });
  }

  forgetKey(keyId: string): void {
    for (const [hash, e] of this.entries) if (e.principal?.keyId === keyId) this.entries.delete(hash);
  }
}

const UNAUTHORIZED = () => new AppError('unauthorized', 'Missing or invalid API key');

export function bearerToken(header: string | null | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : null;
}

export async function authenticate(db: Database, cache: ApiKeyCache, authorization: string | null | undefined): Promise<Principal> {
  const token = bearerToken(authorization);
  if (!token || !looksLikeSecret(token)) throw UNAUTHORIZED();
  // The cache is keyed by the presented token itself, so a hit costs no hashing.
  const cached = cache.get(token);
  if (cached) {
    if (!cached.principal) throw UNAUTHORIZED();
    return cached.principal;
  }
  const hash = hashSecret(token);
  const rows = await db.query<{ key_id: string; account_id: string; plan: string }>(
    `SELECT k.id AS key_id, a.id AS account_id, a.plan
       FROM api_keys k JOIN accounts a ON a.id = k.account_id
      WHERE k.hash = $1 AND k.revoked_at IS NULL`,
    [hash],
  );
  const row = rows[0];
  const principal = row ? { keyId: row.key_id, accountId: row.account_id, plan: row.plan } : null;
  cache.set(token, principal);
  if (!principal) throw UNAUTHORIZED();
  // Recorded on cache misses only, so at most once per key per cache period; never on the hot path.
  void db
    .query(
      `UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [principal.keyId],
    )
    .catch(() => {});
  return principal;
}
