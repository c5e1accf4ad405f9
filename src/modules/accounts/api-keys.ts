// API key management over the API (docs/spec/product.md §3): named, listed without the secret, revoked.
import { z } from 'zod';
import type { App, AccountScope } from '../../app.js';
import type { ApiKey } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/errors.js';
import { isId, newId } from '../../lib/ids.js';
import { parseInput } from '../../lib/validation.js';
import { apiKeyData } from '../webhooks/event-data.js';
import { dispatchAfterCommit, recordEvent } from '../webhooks/record-event.js';
import { generateSecret } from './api-key-secret.js';

export type ApiKeyRecord = ApiKey;
export type CreatedApiKey = ApiKey & { key: string };

const createInput = z.object({
  name: z
    .string({ error: (i) => (i.input === undefined ? 'Name is required' : 'Name must be a string') })
    .trim()
    .min(1, 'Name is required')
    .max(100, 'Name must be at most 100 characters'),
});

export async function listApiKeys(app: App, scope: AccountScope): Promise<ApiKeyRecord[]> {
  return app.db.prisma.apiKey.findMany({ where: { accountId: scope.accountId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
}

export async function createApiKey(app: App, scope: AccountScope, input: { name?: string | null }): Promise<CreatedApiKey> {
  const { name } = parseInput(createInput, { name: input.name ?? undefined });
  const secret = generateSecret();
  const { row, event } = await app.db.prisma.$transaction(async (tx) => {
    const row = await tx.apiKey.create({
      data: { id: newId('apiKey'), accountId: scope.accountId, name, prefix: secret.prefix, hash: secret.hash },
    });
    return { row, event: await recordEvent(tx, { accountId: scope.accountId, type: 'api_key.created', data: apiKeyData(row) }) };
  });
  await dispatchAfterCommit(app, event);
  return { ...row, key: secret.secret };
}

/** Revoking is permanent and idempotent; the key stays listed with `revokedAt`. */
export async function revokeApiKey(app: App, scope: AccountScope, id: string): Promise<ApiKeyRecord> {
  if (!isId('apiKey', id)) throw AppError.notFound('API key');
  const { row, event } = await app.db.prisma.$transaction(async (tx) => {
    const { count } = await tx.apiKey.updateMany({
      where: { id, accountId: scope.accountId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    const row = await tx.apiKey.findFirst({ where: { id, accountId: scope.accountId } });
    // Only the request that revoked it tells the world; revoking again changes nothing.
    const event =
      row && count ? await recordEvent(tx, { accountId: scope.accountId, type: 'api_key.revoked', data: apiKeyData(row) }) : null;
    return { row, event };
  });
  if (!row) throw AppError.notFound('API key');
  app.apiKeys.forgetKey(id);
  await dispatchAfterCommit(app, event);
  return row;
}

/** A key as the REST API shows it (snake_case, never the hash): for the operator CLI. */
export function apiKeyView(k: ApiKeyRecord): Record<string, unknown> {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    created_at: k.createdAt.toISOString(),
    last_used_at: k.lastUsedAt?.toISOString() ?? null,
    revoked_at: k.revokedAt?.toISOString() ?? null,
  };
}
