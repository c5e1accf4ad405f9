// GET /v1/account/usage?from&to and GraphQL `usage(from, to)` (docs/spec/api-reference.md, Account).
// The period is whole UTC days: `from` and `to` are dates (YYYY-MM-DD) or timestamps (their UTC day),
// both included, at most 366 days; by default the current month (or the month of the one date given).
// Conversations are those created in the period (and not deleted); storage is the current figure.
import type { AccountScope, App } from '../../app.js';
import { AppError, type FieldErrors } from '../../lib/errors.js';
import { parseDate } from '../../lib/dates.js';
import { requestTotals, type RequestTotals } from './usage-counts.js';
import { daysBetween, DAY_MS, utcDay } from './utc-windows.js';
import { storageBytesByType, toMb } from './storage-usage.js';

export const MAX_PERIOD_DAYS = 366;
const SOURCES = ['email', 'whatsapp', 'api'] as const;

export interface UsagePeriod {
  /** `YYYY-MM-DD`, UTC, inclusive. */
  from: string;
  to: string;
}

export interface Usage {
  period: UsagePeriod;
  conversations: { total: number; bySource: Record<(typeof SOURCES)[number], number> };
  storage: { totalMb: number; byType: { conversations: number; attachments: number; exports: number } };
  apiRequests: RequestTotals;
}

const monthStart = (day: string) => `${day.slice(0, 7)}-01`;
function monthEnd(day: string): string {
  const [y, m] = day.split('-').map(Number);
  return utcDay(Date.UTC(y, m, 1) - DAY_MS); // day 0 of the next month
}

/** Validates `from`/`to` and fills in the defaults; every bad field is reported at once. */
export function usagePeriod(input: { from?: string | null; to?: string | null }, now = Date.now()): UsagePeriod {
  const fields: FieldErrors = {};
  const day = (name: 'from' | 'to', label: string): string | undefined => {
    const raw = input[name];
    if (raw === undefined || raw === null) return undefined;
    const parsed = parseDate(raw);
    if (!parsed) {
      fields[name] = [`${label} must be a date (YYYY-MM-DD) or an ISO 8601 timestamp`];
      return undefined;
    }
    return utcDay(parsed.at.getTime());
  };
  const givenFrom = day('from', 'From');
  const givenTo = day('to', 'To');
  if (Object.keys(fields).length) throw AppError.validation(fields);
  const today = utcDay(now);
  const from = givenFrom ?? monthStart(givenTo ?? today);
  const to = givenTo ?? monthEnd(givenFrom ?? today);
  if (from > to) throw AppError.validation({ from: ['From must not be after to'] });
  if (daysBetween(from, to) > MAX_PERIOD_DAYS) throw AppError.validation({ to: [`The period must be at most ${MAX_PERIOD_DAYS} days`] });
  return { from, to };
}

export async function getUsage(app: App, scope: AccountScope, input: { from?: string | null; to?: string | null }): Promise<Usage> {
  const period = usagePeriod(input);
  const [conversationRows, storage, requests] = await Promise.all([
    app.db.query<{ source: string; n: number }>(
      `SELECT source::text AS source, count(*)::int8 AS n FROM conversations
        WHERE account_id = $1 AND created_at >= $2 AND created_at < $3
        GROUP BY source`,
      [scope.accountId, new Date(`${period.from}T00:00:00Z`), new Date(Date.parse(`${period.to}T00:00:00Z`) + DAY_MS)],
    ),
    storageBytesByType(app.db, scope.accountId),
    app.accounting.requestCounts(scope.accountId, period.from, period.to),
  ]);
  const bySource = Object.fromEntries(SOURCES.map((s) => [s, 0])) as Usage['conversations']['bySource'];
  for (const r of conversationRows) bySource[r.source as keyof typeof bySource] = Number(r.n);
  return {
    period,
    conversations: { total: Object.values(bySource).reduce((a, b) => a + b, 0), bySource },
    storage: {
      totalMb: toMb(storage.total),
      byType: { conversations: toMb(storage.conversations), attachments: toMb(storage.attachments), exports: toMb(storage.exports) },
    },
    apiRequests: requestTotals(requests),
  };
}
