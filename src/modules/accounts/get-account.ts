// GET /v1/account and GraphQL `account` (docs/spec/api-reference.md, Account): the account, its plan's limits,
// storage used (the maintained counter, src/modules/usage/storage-usage.ts) and today's requests
// (UTC, counted as soon as answered, this one included).
import type { AccountScope, App } from '../../app.js';
import { AppError } from '../../lib/errors.js';
import { planOf } from '../usage/request-accounting.js';
import { utcDay } from '../usage/utc-windows.js';
import { storageBytesByType, toMb } from '../usage/storage-usage.js';
import { requestTotals } from '../usage/usage-counts.js';

export interface AccountInfo {
  id: string;
  email: string;
  plan: string;
  storage: { usedMb: number; limitMb: number };
  apiUsage: { requestsToday: number; limitPerDay: number };
  createdAt: Date;
}

export async function getAccount(app: App, scope: AccountScope): Promise<AccountInfo> {
  const today = utcDay(Date.now());
  const [rows, storage, requests] = await Promise.all([
    app.db.query<{ id: string; email: string; plan: string; created_at: Date }>(
      `SELECT id, email, plan, created_at FROM accounts WHERE id = $1`,
      [scope.accountId],
    ),
    storageBytesByType(app.db, scope.accountId),
    app.accounting.requestCounts(scope.accountId, today, today),
  ]);
  const row = rows[0];
  if (!row) throw AppError.notFound('Account');
  const plan = planOf(app.config, row.plan);
  return {
    id: row.id,
    email: row.email,
    plan: row.plan,
    storage: { usedMb: toMb(storage.total), limitMb: plan.storageLimitMb },
    apiUsage: { requestsToday: requestTotals(requests).total, limitPerDay: plan.requestsPerDay },
    createdAt: new Date(row.created_at),
  };
}
