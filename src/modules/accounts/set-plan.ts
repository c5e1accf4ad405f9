// Operator: change an account's plan (`aimychats accounts set-plan`). The plan must be one of the
// configured plans (PLANS_JSON); the change and its `subscription.updated` event are committed together.
// Rate limits and quotas read the plan from the database when a key is authenticated: a running server
// that cached the key (authenticate.ts) applies the new plan within API_KEY_CACHE_TTL_MS (default 10 s).
import type { App } from '../../app.js';
import { AppError } from '../../lib/errors.js';
import { isId } from '../../lib/ids.js';
import { dispatchAfterCommit, recordEvent } from '../webhooks/record-event.js';
import type { AccountView } from './create-account.js';

export async function setAccountPlan(app: App, input: { accountId: string; plan: string }): Promise<AccountView> {
  const plans = Object.keys(app.config.plans);
  if (!plans.includes(input.plan)) throw AppError.validation({ plan: [`Plan must be one of: ${plans.join(', ')}`] });
  if (!isId('account', input.accountId)) throw AppError.notFound('Account');
  const { account, event } = await app.db.prisma.$transaction(async (tx) => {
    // Row lock: two concurrent changes each report the plan they actually replaced.
    const [current] = await tx.$queryRaw<{ plan: string }[]>`SELECT plan FROM accounts WHERE id = ${input.accountId} FOR UPDATE`;
    if (!current) return { account: null, event: null };
    const account = await tx.account.update({ where: { id: input.accountId }, data: { plan: input.plan } });
    // Setting the plan it already has changes nothing and tells nobody.
    const event =
      current.plan === input.plan
        ? null
        : await recordEvent(tx, {
            accountId: account.id,
            type: 'subscription.updated',
            data: { account_id: account.id, plan: account.plan, previous_plan: current.plan },
          });
    return { account, event };
  });
  if (!account) throw AppError.notFound('Account');
  await dispatchAfterCommit(app, event);
  return { id: account.id, email: account.email, plan: account.plan, created_at: account.createdAt.toISOString() };
}

/** An operator's view of an account: it must exist (the CLI acts on any account, by id). */
export async function requireAccount(app: App, accountId: string): Promise<{ accountId: string; plan: string }> {
  if (!isId('account', accountId)) throw AppError.notFound('Account');
  const rows = await app.db.query<{ id: string; plan: string }>(`SELECT id, plan FROM accounts WHERE id = $1`, [accountId]);
  if (!rows[0]) throw AppError.notFound('Account');
  return { accountId: rows[0].id, plan: rows[0].plan };
}
