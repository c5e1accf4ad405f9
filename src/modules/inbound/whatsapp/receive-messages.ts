// Cloud API messages → conversations. Each business phone number id belongs to one account
// (whatsapp_numbers); messages for a number nobody linked are dropped. A contact's (wa_id) messages go
// into one conversation until they pause for longer than WHATSAPP_CONVERSATION_GAP_HOURS; the next
// message then starts a new one. A message id seen before is ignored (Meta delivers at least once).
import type { AccountScope, App } from '../../../app.js';
import { createConversation } from '../../conversations/create-conversation.js';
import { findConversation } from '../../conversations/load-conversation.js';
import { updateConversation } from '../../conversations/update-conversation.js';
import { isAppError } from '../../../lib/errors.js';
import { claimNew, latestOfContact, releaseMessages, settleMessages } from '../inbound-messages.js';
import { withKeyLock } from '../key-lock.js';
import { chatLines } from './chat-lines.js';
import type { CloudMessage } from './cloud-payload.js';

export interface ReceiveOutcome {
  stored: number;
  duplicates: number;
  /** Messages for phone number ids that no account linked. */
  unlinked: number;
}

export async function receiveWhatsAppMessages(app: App, messages: CloudMessage[]): Promise<ReceiveOutcome> {
  const outcome: ReceiveOutcome = { stored: 0, duplicates: 0, unlinked: 0 };
  if (!messages.length) return outcome;
  const owners = await ownersOf(app, [...new Set(messages.map((m) => m.phoneNumberId))]);
  const byContact = new Map<string, CloudMessage[]>();
  for (const m of messages) {
    if (!owners.has(m.phoneNumberId)) {
      outcome.unlinked++;
      continue;
    }
    const key = `${m.phoneNumberId}:${m.waId}`;
    byContact.set(key, [...(byContact.get(key) ?? []), m]);
  }
  let refused: unknown;
  for (const [contact, list] of byContact) {
    const scope = owners.get(list[0]!.phoneNumberId)!;
    let stored: number;
    try {
      stored = await withKeyLock(app, `whatsapp:${scope.accountId}:${contact}`, () => receiveFromContact(app, scope, contact, list));
    } catch (e) {
      // An account over its storage quota must not hold up the other contacts of the delivery: theirs
      // are stored, then the 403 makes Meta deliver again later (the stored ones are duplicates then).
      if (!(isAppError(e) && e.code === 'storage_quota_exceeded')) throw e;
      refused ??= e;
      continue;
    }
    outcome.stored += stored;
    outcome.duplicates += list.length - stored;
  }
  if (refused) throw refused;
  return outcome;
}

async function ownersOf(app: App, phoneNumberIds: string[]): Promise<Map<string, AccountScope>> {
  const rows = await app.db.query<{ phone_number_id: string; account_id: string; plan: string }>(
    `SELECT n.phone_number_id, a.id AS account_id, a.plan
       FROM whatsapp_numbers n JOIN accounts a ON a.id = n.account_id
      WHERE n.phone_number_id = ANY($1::text[])`,
    [phoneNumberIds],
  );
  return new Map(rows.map((r) => [r.phone_number_id, { accountId: r.account_id, plan: r.plan }]));
}

interface Segment {
  /** The conversation to append to; null for a new one. */
  conversationId: string | null;
  lastAt: Date;
  messages: CloudMessage[];
}

/** Stores one contact's new messages; returns how many were new. Runs under the contact's lock. */
async function receiveFromContact(app: App, scope: AccountScope, contact: string, list: CloudMessage[]): Promise<number> {
  const unique = [...new Map(list.map((m) => [m.id, m])).values()];
  const fresh = await claimNew(
    app,
    scope,
    'whatsapp',
    unique.map((m) => ({ externalId: m.id, contact, sentAt: m.at })),
  );
  const messages = unique.filter((m) => fresh.has(m.id)).sort((a, b) => a.at.getTime() - b.at.getTime());
  if (!messages.length) return 0;
  const pending = new Set(messages.map((m) => m.id));
  try {
    const gap = app.config.inbound.whatsappGapMs;
    const latest = await latestOfContact(app, scope, 'whatsapp', contact);
    const segments: Segment[] = [];
    let current: Segment | null = latest ? { conversationId: latest.conversationId, lastAt: latest.sentAt, messages: [] } : null;
    for (const m of messages) {
      if (!current || m.at.getTime() - current.lastAt.getTime() > gap) {
        if (current?.messages.length) segments.push(current);
        current = { conversationId: null, lastAt: m.at, messages: [] };
      }
      current.messages.push(m);
      if (m.at > current.lastAt) current.lastAt = m.at;
    }
    if (current?.messages.length) segments.push(current);

    for (const s of segments) {
      const conversationId =
        (s.conversationId && (await append(app, scope, s.conversationId, s.messages))) || (await create(app, scope, s.messages));
      const ids = s.messages.map((m) => m.id);
      await settleMessages(app, scope, 'whatsapp', ids, conversationId);
      for (const id of ids) pending.delete(id);
    }
    return messages.length;
  } catch (e) {
    await releaseMessages(app, scope, 'whatsapp', [...pending]).catch((err) =>
      app.log.error({ err }, 'could not release WhatsApp message claims'),
    );
    throw e;
  }
}

function lines(messages: CloudMessage[]): string {
  return chatLines(messages.map((m) => ({ at: m.at, author: m.contactName ?? `+${m.waId}`, text: m.text })));
}

async function create(app: App, scope: AccountScope, messages: CloudMessage[]): Promise<string> {
  const first = messages[0]!;
  const last = messages[messages.length - 1]!;
  const name = messages.map((m) => m.contactName).find(Boolean) ?? null;
  const conversation = await createConversation(app, scope, {
    title: `WhatsApp chat with ${name ?? `+${first.waId}`}`.slice(0, 500),
    content: lines(messages),
    source: 'whatsapp',
    metadata: {
      wa_id: first.waId,
      contact_name: name,
      phone_number_id: first.phoneNumberId,
      display_phone_number: first.displayPhoneNumber,
      participants: [name ?? `+${first.waId}`],
      date: first.at.toISOString(),
      first_message_at: first.at.toISOString(),
      last_message_at: last.at.toISOString(),
      message_count: messages.length,
    },
  });
  return conversation.id;
}

/** Appends to the contact's open conversation; null when it is gone or has no room left (then a new one starts). */
async function append(app: App, scope: AccountScope, conversationId: string, messages: CloudMessage[]): Promise<string | null> {
  const current = await findConversation(app.db, scope, conversationId);
  if (!current) return null;
  const content = `${current.content ?? ''}\n${lines(messages)}`;
  if (content.length > app.config.contentMaxChars) return null;
  const count = typeof current.metadata?.message_count === 'number' ? current.metadata.message_count : 0;
  const name = messages.map((m) => m.contactName).find(Boolean);
  await updateConversation(app, scope, conversationId, {
    content,
    metadata: {
      last_message_at: messages[messages.length - 1]!.at.toISOString(),
      message_count: count + messages.length,
      ...(name ? { contact_name: name } : {}),
    },
  });
  return conversationId;
}
