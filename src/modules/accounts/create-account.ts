import { z } from 'zod';
import type { Config } from '../../config.js';
import type { Database } from '../../lib/db.js';
import { AppError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { parseInput } from '../../lib/validation.js';
import { generateSecret } from './api-key-secret.js';

export interface AccountView {
  id: string;
  email: string;
  plan: string;
  created_at: string;
}

export interface CreatedAccount {
  account: AccountView;
  api_key: string;
}

const input = (plans: string[]) =>
  z.strictObject({
    email: z.email({ error: 'Email must be a valid email address' }).max(320),
    plan: z.enum(plans as [string, ...string[]], { error: `Plan must be one of: ${plans.join(', ')}` }),
    keyName: z.string().min(1).max(100).optional(),
  });

/**
 * Creates an account and its first API key in one statement, so that it is atomic without an explicit
 * transaction (the CLI may be talking to the embedded database through the server's socket).
 */
export async function createAccount(
  db: Database,
  config: Config,
  raw: { email: string; plan?: string; keyName?: string },
): Promise<CreatedAccount> {
  const data = parseInput(input(Object.keys(config.plans)), { ...raw, plan: raw.plan ?? config.defaultPlan });
  const accountId = newId('account');
  const key = generateSecret();
  const rows = await db.query<{ id: string; email: string; plan: string; created_at: Date }>(
    `WITH a AS (
       INSERT INTO accounts (id, email, plan, updated_at) VALUES ($1, lower($2), $3, now())
       ON CONFLICT (email) DO NOTHING
       RETURNING id, email, plan, created_at
     ), k AS (
       INSERT INTO api_keys (id, account_id, name, prefix, hash)
       SELECT $4, a.id, $5, $6, $7 FROM a
     )
     SELECT * FROM a`,
    [accountId, data.email, data.plan, newId('apiKey'), data.keyName ?? 'default', key.prefix, key.hash],
  );
  const row = rows[0];
  if (!row) throw AppError.validation({ email: ['An account with this email already exists'] });
  return {
    account: { id: row.id, email: row.email, plan: row.plan, created_at: row.created_at.toISOString() },
    api_key: key.secret,
  };
}
