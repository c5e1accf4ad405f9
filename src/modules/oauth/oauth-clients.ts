// OAuth apps of an account (docs/oauth.md): registered, listed without the secret, revoked. Only
// accounts whose plan allows OAuth can register one. The secret is shown once and stored as SHA-256.
import crypto from 'node:crypto';
import { z } from 'zod';
import type { AccountScope, App } from '../../app.js';
import type { OAuthClient } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/errors.js';
import { isId, newId } from '../../lib/ids.js';
import { parseInput } from '../../lib/validation.js';
import { hashClientSecret } from './client-secret.js';
import { assertPlanAllowsOAuth } from './oauth-plan.js';

export type OAuthClientRecord = OAuthClient;
export type CreatedOAuthClient = OAuthClient & { clientSecret: string | null };

export const GRANT_TYPES = ['authorization_code', 'client_credentials'] as const;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Exact-match redirect URIs: absolute, https (or http to a loopback address for native apps), no fragment. */
const redirectUri = z.string().refine((u) => {
  try {
    const url = new URL(u);
    if (url.hash || u.includes('#')) return false;
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
  } catch {
    return false;
  }
}, 'Redirect URIs must be absolute https:// URLs (http:// only for localhost) without a fragment');

const createInput = z
  .object({
    name: z.string({ error: 'Name is required' }).trim().min(1, 'Name is required').max(100, 'Name must be at most 100 characters'),
    redirectUris: z.array(redirectUri).max(20, 'At most 20 redirect URIs').default([]),
    grantTypes: z
      .array(z.enum(GRANT_TYPES, { error: `Grant types must be among: ${GRANT_TYPES.join(', ')}` }))
      .min(1, 'At least one grant type')
      .optional(),
    /** A public client (a browser or native app) has no secret; it can only use the code flow with PKCE. */
    public: z.boolean({ error: 'Public must be a boolean' }).default(false),
  })
  .transform((v) => ({
    ...v,
    grantTypes: [...new Set(v.grantTypes ?? (v.redirectUris.length ? ['authorization_code'] : ['client_credentials']))],
  }))
  .superRefine((v, ctx) => {
    if (v.grantTypes.includes('authorization_code') && !v.redirectUris.length) {
      ctx.addIssue({ code: 'custom', path: ['redirectUris'], message: 'The authorization_code grant needs at least one redirect URI' });
    }
    if (v.public && v.grantTypes.includes('client_credentials')) {
      ctx.addIssue({ code: 'custom', path: ['grantTypes'], message: 'A public client cannot use client_credentials' });
    }
  });

export async function listOAuthClients(app: App, scope: AccountScope): Promise<OAuthClientRecord[]> {
  return app.db.prisma.oAuthClient.findMany({ where: { accountId: scope.accountId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
}

export async function createOAuthClient(
  app: App,
  scope: AccountScope,
  input: { name?: string | null; redirectUris?: string[] | null; grantTypes?: string[] | null; public?: boolean | null },
): Promise<CreatedOAuthClient> {
  // The plan is read again: the caller's scope may come from a cached key.
  const [account] = await app.db.query<{ plan: string }>(`SELECT plan FROM accounts WHERE id = $1`, [scope.accountId]);
  assertPlanAllowsOAuth(app.config, account?.plan ?? scope.plan);
  const v = parseInput(createInput, {
    name: input.name ?? undefined,
    redirectUris: input.redirectUris ?? undefined,
    grantTypes: input.grantTypes ?? undefined,
    public: input.public ?? undefined,
  });
  const secret = v.public ? null : `amcs_${crypto.randomBytes(32).toString('base64url')}`;
  const row = await app.db.prisma.oAuthClient.create({
    data: {
      id: newId('oauthClient'),
      accountId: scope.accountId,
      name: v.name,
      secretHash: secret ? hashClientSecret(secret) : null,
      redirectUris: v.redirectUris,
      grantTypes: v.grantTypes,
    },
  });
  return { ...row, clientSecret: secret };
}

/** Revoking is permanent and idempotent; the app's tokens stop at once (and on other instances within the cache time). */
export async function revokeOAuthClient(app: App, scope: AccountScope, id: string): Promise<OAuthClientRecord> {
  if (!isId('oauthClient', id)) throw AppError.notFound('OAuth client');
  await app.db.prisma.oAuthClient.updateMany({
    where: { id, accountId: scope.accountId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  const row = await app.db.prisma.oAuthClient.findFirst({ where: { id, accountId: scope.accountId } });
  if (!row) throw AppError.notFound('OAuth client');
  app.oauth.forgetClient(id);
  return row;
}

/** A client as the REST API shows it (snake_case, never the secret or its hash): for the operator CLI. */
export function oauthClientView(c: OAuthClientRecord): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    public: c.secretHash === null,
    redirect_uris: c.redirectUris,
    grant_types: c.grantTypes,
    created_at: c.createdAt.toISOString(),
    last_used_at: c.lastUsedAt?.toISOString() ?? null,
    revoked_at: c.revokedAt?.toISOString() ?? null,
  };
}
