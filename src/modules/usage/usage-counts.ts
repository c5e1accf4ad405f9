// Request counts as they travel: a field `<day>|<group>` per account, added up in memory or in Redis,
// and written to `usage_counters` by adding (never overwriting), so that any number of writers can flush.
import type { Database } from '../../lib/db.js';
import { ENDPOINT_GROUPS, type EndpointGroup } from './endpoint-groups.js';

/** `YYYY-MM-DD|/group` → requests. */
export type Counts = Map<string, number>;

export const countField = (day: string, group: EndpointGroup | ClientCounter) => `${day}|${group}`;

/**
 * Requests made with an OAuth access token are counted a second time under their client, so that usage
 * can show each app's share. These counters sit beside the endpoint groups (same rows, same flushes);
 * the endpoint figures and the total never include them.
 */
export type ClientCounter = `client:${string}`;
export const CLIENT_COUNTER = 'client:';
export const clientCounter = (clientId: string): ClientCounter => `client:${clientId}`;

export interface RequestTotals {
  /** Every endpoint group, zero or not. */
  byEndpoint: Record<EndpointGroup, number>;
  /** The sum of `byEndpoint`: each request once. */
  total: number;
  /** OAuth client id → requests, for the clients that made any (sorted by id). */
  byClient: Record<string, number>;
}

/** Reads the counters of a period (RequestAccounting.requestCounts): endpoint groups and OAuth clients apart. */
export function requestTotals(counters: Map<string, number>): RequestTotals {
  const byEndpoint = Object.fromEntries(ENDPOINT_GROUPS.map((g) => [g, counters.get(g) ?? 0])) as Record<EndpointGroup, number>;
  const byClient = Object.fromEntries(
    [...counters]
      .filter(([key, n]) => key.startsWith(CLIENT_COUNTER) && n > 0)
      .map(([key, n]) => [key.slice(CLIENT_COUNTER.length), n] as const)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  return { byEndpoint, total: Object.values(byEndpoint).reduce((a, b) => a + b, 0), byClient };
}

export function addInto(target: Counts, source: Iterable<[string, number]>): void {
  for (const [field, n] of source) target.set(field, (target.get(field) ?? 0) + n);
}

/** Requests per group on the days `fromDay`..`toDay` (inclusive, `YYYY-MM-DD` compares as text). */
export function byGroup(counts: Counts, fromDay: string, toDay: string, into = new Map<string, number>()): Map<string, number> {
  for (const [field, n] of counts) {
    const day = field.slice(0, 10);
    if (day < fromDay || day > toDay) continue;
    const group = field.slice(11);
    into.set(group, (into.get(group) ?? 0) + n);
  }
  return into;
}

export interface CountRows {
  accounts: string[];
  days: string[];
  groups: string[];
  counts: number[];
}

export function toRows(byAccount: Map<string, Counts>): CountRows {
  const rows: CountRows = { accounts: [], days: [], groups: [], counts: [] };
  for (const [accountId, counts] of byAccount) {
    for (const [field, n] of counts) {
      if (n <= 0) continue;
      rows.accounts.push(accountId);
      rows.days.push(field.slice(0, 10));
      rows.groups.push(field.slice(11));
      rows.counts.push(n);
    }
  }
  return rows;
}

// Rows of accounts that no longer exist are dropped rather than failing the whole batch.
const ADD_COUNTS = `
  INSERT INTO usage_counters AS u (account_id, day, endpoint_group, count)
  SELECT c.account_id, c.day, c.endpoint_group, c.n
    FROM unnest($1::text[], $2::date[], $3::text[], $4::bigint[]) AS c(account_id, day, endpoint_group, n)
    JOIN accounts a ON a.id = c.account_id
  ON CONFLICT (account_id, day, endpoint_group) DO UPDATE SET count = u.count + EXCLUDED.count`;

/** Adds counts kept in this process (one statement for the whole batch). */
export async function addCounts(db: Database, rows: CountRows): Promise<void> {
  if (!rows.accounts.length) return;
  await db.query(ADD_COUNTS, [rows.accounts, rows.days, rows.groups, rows.counts]);
}

/**
 * Adds batches taken from Redis, each at most once: an account's batch carries its flush id, and is
 * applied only if that id is above the account's mark, which the same statement moves up.
 */
const ADD_MARKED_COUNTS = `
  WITH batch AS (
    SELECT b.account_id, b.flush_id
      FROM unnest($1::text[], $2::bigint[]) AS b(account_id, flush_id)
      JOIN accounts a ON a.id = b.account_id
  ), marked AS (
    INSERT INTO usage_flush_marks AS m (account_id, last_flush_id)
    SELECT account_id, flush_id FROM batch
    ON CONFLICT (account_id) DO UPDATE SET last_flush_id = EXCLUDED.last_flush_id
     WHERE m.last_flush_id < EXCLUDED.last_flush_id
    RETURNING account_id
  )
  INSERT INTO usage_counters AS u (account_id, day, endpoint_group, count)
  SELECT c.account_id, c.day, c.endpoint_group, c.n
    FROM unnest($3::text[], $4::date[], $5::text[], $6::bigint[]) AS c(account_id, day, endpoint_group, n)
    JOIN marked USING (account_id)
  ON CONFLICT (account_id, day, endpoint_group) DO UPDATE SET count = u.count + EXCLUDED.count`;

export async function addMarkedCounts(db: Database, batches: Map<string, { flushId: number; counts: Counts }>): Promise<void> {
  if (!batches.size) return;
  const rows = toRows(new Map([...batches].map(([a, b]) => [a, b.counts])));
  await db.query(ADD_MARKED_COUNTS, [
    [...batches.keys()],
    [...batches.values()].map((b) => b.flushId),
    rows.accounts,
    rows.days,
    rows.groups,
    rows.counts,
  ]);
}

/** What PostgreSQL holds for an account: requests per group in the range, and its flush mark. */
export async function storedCounts(
  db: Database,
  accountId: string,
  fromDay: string,
  toDay: string,
): Promise<{ byGroup: Map<string, number>; mark: number }> {
  const rows = await db.query<{ endpoint_group: string | null; count: number | null; mark: number | null }>(
    `SELECT endpoint_group, sum(count)::bigint AS count, NULL::bigint AS mark
       FROM usage_counters WHERE account_id = $1 AND day BETWEEN $2::date AND $3::date
      GROUP BY endpoint_group
     UNION ALL
     SELECT NULL, NULL, last_flush_id FROM usage_flush_marks WHERE account_id = $1`,
    [accountId, fromDay, toDay],
  );
  const out = new Map<string, number>();
  let mark = 0;
  for (const r of rows) {
    if (r.endpoint_group !== null) out.set(r.endpoint_group, Number(r.count));
    else mark = Number(r.mark);
  }
  return { byGroup: out, mark };
}
