// The inbound_messages table: which conversation each received message went to, by the channel's own
// message id, always scoped by account. A message is first *claimed* (a row without conversation) —
// the primary key makes a second delivery of the same id find the claim instead of storing a copy —
// then *settled* with its conversation, or *released* when storing it failed (so a retry can succeed).
import type { AccountScope, App } from '../../app.js';
import { AppError } from '../../lib/errors.js';

export type Channel = 'email' | 'whatsapp';

/** A claim older than this belongs to a request that died; a new delivery takes it over. */
const STALE_CLAIM_MS = 5 * 60_000;
/** How long a duplicate waits for the first delivery to finish before asking the sender to retry. */
const WAIT_FOR_CLAIM_MS = 15_000;

export interface ClaimOutcome {
  /** True when this request now owns the message; false when it was stored already. */
  claimed: boolean;
  /** The conversation it was stored in, when not claimed. */
  conversationId?: string;
}

export interface MessageRef {
  externalId: string;
  contact: string | null;
  sentAt: Date;
}

export async function claimMessage(app: App, scope: AccountScope, channel: Channel, m: MessageRef): Promise<ClaimOutcome> {
  const deadline = Date.now() + WAIT_FOR_CLAIM_MS;
  for (;;) {
    const inserted = await app.db.query(
      `INSERT INTO inbound_messages (account_id, channel, external_id, contact, sent_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1`,
      [scope.accountId, channel, m.externalId, m.contact, m.sentAt],
    );
    if (inserted.length) return { claimed: true };
    const rows = await app.db.query<{ conversation_id: string | null; created_at: Date }>(
      `SELECT conversation_id, created_at FROM inbound_messages WHERE account_id = $1 AND channel = $2 AND external_id = $3`,
      [scope.accountId, channel, m.externalId],
    );
    const row = rows[0];
    if (row?.conversation_id) return { claimed: false, conversationId: row.conversation_id };
    if (row && Date.now() - row.created_at.getTime() > STALE_CLAIM_MS) {
      await releaseMessages(app, scope, channel, [m.externalId], row.created_at);
      continue;
    }
    if (row && Date.now() > deadline) {
      throw new AppError(
        'service_unavailable',
        'The same message is being stored by another request; retry shortly',
        {},
        { 'Retry-After': '5' },
      );
    }
    await new Promise((r) => setTimeout(r, row ? 100 : 0));
  }
}

/** Claims many messages at once; returns the ids this request now owns (the others were seen before). */
export async function claimNew(app: App, scope: AccountScope, channel: Channel, messages: MessageRef[]): Promise<Set<string>> {
  if (!messages.length) return new Set();
  const rows = await app.db.query<{ external_id: string }>(
    `INSERT INTO inbound_messages (account_id, channel, external_id, contact, sent_at)
     SELECT $1, $2, m.id, m.contact, m.sent_at
       FROM unnest($3::text[], $4::text[], $5::timestamptz[]) AS m(id, contact, sent_at)
     ON CONFLICT DO NOTHING RETURNING external_id`,
    [scope.accountId, channel, messages.map((m) => m.externalId), messages.map((m) => m.contact), messages.map((m) => m.sentAt)],
  );
  return new Set(rows.map((r) => r.external_id));
}

export async function settleMessages(
  app: App,
  scope: AccountScope,
  channel: Channel,
  externalIds: string[],
  conversationId: string,
): Promise<void> {
  await app.db.query(
    `UPDATE inbound_messages SET conversation_id = $4 WHERE account_id = $1 AND channel = $2 AND external_id = ANY($3::text[])`,
    [scope.accountId, channel, externalIds, conversationId],
  );
}

/** Forgets claims that were not settled (`createdAt`: only the claim seen then, not a newer one). */
export async function releaseMessages(
  app: App,
  scope: AccountScope,
  channel: Channel,
  externalIds: string[],
  createdAt?: Date,
): Promise<void> {
  await app.db.query(
    `DELETE FROM inbound_messages
      WHERE account_id = $1 AND channel = $2 AND external_id = ANY($3::text[]) AND conversation_id IS NULL
        AND ($4::timestamptz IS NULL OR created_at = $4)`,
    [scope.accountId, channel, externalIds, createdAt ?? null],
  );
}

/** The conversation of the first of `externalIds` that was stored for this account (email threads). */
export async function conversationOfFirst(app: App, scope: AccountScope, channel: Channel, externalIds: string[]): Promise<string | null> {
  if (!externalIds.length) return null;
  const rows = await app.db.query<{ external_id: string; conversation_id: string }>(
    `SELECT external_id, conversation_id FROM inbound_messages
      WHERE account_id = $1 AND channel = $2 AND external_id = ANY($3::text[]) AND conversation_id IS NOT NULL`,
    [scope.accountId, channel, externalIds],
  );
  const byId = new Map(rows.map((r) => [r.external_id, r.conversation_id]));
  for (const id of externalIds) if (byId.has(id)) return byId.get(id)!;
  return null;
}

/** A contact's latest stored message: its conversation and time (WhatsApp grouping). */
export async function latestOfContact(
  app: App,
  scope: AccountScope,
  channel: Channel,
  contact: string,
): Promise<{ conversationId: string; sentAt: Date } | null> {
  const rows = await app.db.query<{ conversation_id: string; sent_at: Date }>(
    `SELECT conversation_id, sent_at FROM inbound_messages
      WHERE account_id = $1 AND channel = $2 AND contact = $3 AND conversation_id IS NOT NULL
      ORDER BY sent_at DESC LIMIT 1`,
    [scope.accountId, channel, contact],
  );
  return rows[0] ? { conversationId: rows[0].conversation_id, sentAt: rows[0].sent_at } : null;
}
