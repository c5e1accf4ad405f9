// POST /v1/inbound/email: one raw message → a new conversation, or the next part of the conversation
// its In-Reply-To/References name. The same Message-ID twice stores nothing new (inbound-messages.ts).
// Every conversation write goes through the conversation services (events, summaries, indexing).
import { Readable } from 'node:stream';
import type { AccountScope, App } from '../../../app.js';
import { AppError } from '../../../lib/errors.js';
import { createConversation } from '../../conversations/create-conversation.js';
import { deleteConversation } from '../../conversations/delete-conversation.js';
import { findConversation } from '../../conversations/load-conversation.js';
import { updateConversation } from '../../conversations/update-conversation.js';
import { claimMessage, conversationOfFirst, releaseMessages, settleMessages } from '../inbound-messages.js';
import { withKeyLock } from '../key-lock.js';
import { removeFiles, storeFiles, type IncomingFile } from '../store-files.js';
import { formatAddress, parseEmail, type ParsedEmail } from './parse-email.js';

export interface IngestOutcome {
  conversationId: string;
  /** created: a new conversation; appended: a reply joined its thread; duplicate: seen before, nothing stored. */
  outcome: 'created' | 'appended' | 'duplicate';
}

const MAX_PARTICIPANTS = 100;

export async function ingestEmail(app: App, scope: AccountScope, raw: Buffer): Promise<IngestOutcome> {
  const email = await parseEmail(raw);
  const sentAt = email.date ?? new Date();
  const ref = { externalId: email.dedupeId, contact: email.from.address, sentAt };
  const claim = await claimMessage(app, scope, 'email', ref);
  if (!claim.claimed) return { conversationId: claim.conversationId!, outcome: 'duplicate' };
  try {
    let conversationId: string | null = null;
    let outcome: IngestOutcome['outcome'] = 'appended';
    const threadId = email.isReply ? await conversationOfFirst(app, scope, 'email', email.threadIds) : null;
    if (threadId)
      conversationId = await withKeyLock(app, `conversation:${threadId}`, () => appendReply(app, scope, threadId, email, sentAt));
    if (!conversationId) {
      conversationId = await createFromEmail(app, scope, email, sentAt);
      outcome = 'created';
    }
    await settleMessages(app, scope, 'email', [email.dedupeId], conversationId);
    return { conversationId, outcome };
  } catch (e) {
    await releaseMessages(app, scope, 'email', [email.dedupeId]).catch((err) =>
      app.log.error({ err }, 'could not release an inbound email claim'),
    );
    throw e;
  }
}

function filesOf(email: ParsedEmail): IncomingFile[] {
  return email.attachments
    .filter((a) => a.content.length > 0)
    .map((a) => ({ filename: a.filename, open: async () => Readable.from([a.content]) }));
}

function contentOf(email: ParsedEmail): string {
  if (email.text) return email.text;
  const names = email.attachments.map((a) => a.filename);
  return names.length ? `(no text; attached: ${names.join(', ')})` : '(empty message)';
}

function addressesOf(email: ParsedEmail): string[] {
  return [email.from, ...email.to, ...email.cc].map((a) => a.address);
}

async function createFromEmail(app: App, scope: AccountScope, email: ParsedEmail, sentAt: Date): Promise<string> {
  const conversation = await createConversation(app, scope, {
    title: email.title,
    content: fit(app, contentOf(email)),
    source: 'email',
    metadata: {
      from: formatAddress(email.from),
      to: email.to.map(formatAddress),
      cc: email.cc.map(formatAddress),
      date: sentAt.toISOString(),
      message_id: email.messageId,
      participants: [...new Set(addressesOf(email))].slice(0, MAX_PARTICIPANTS),
      message_count: 1,
    },
  });
  try {
    await storeFiles(app, scope, conversation.id, filesOf(email));
  } catch (e) {
    // Nothing of a refused message stays: the conversation goes, with whatever it had.
    await deleteConversation(app, scope, conversation.id).catch((err) =>
      app.log.error({ err }, 'could not remove a refused email conversation'),
    );
    throw e;
  }
  return conversation.id;
}

/**
 * Appends a reply under a separator. Null when the thread's conversation is gone or has no room left
 * for the reply (CONTENT_MAX_CHARS): the reply then starts a conversation of its own.
 */
async function appendReply(
  app: App,
  scope: AccountScope,
  conversationId: string,
  email: ParsedEmail,
  sentAt: Date,
): Promise<string | null> {
  const current = await findConversation(app.db, scope, conversationId);
  if (!current) return null;
  const separator = `\n\n--- Reply from ${formatAddress(email.from)} on ${sentAt.toISOString()} ---\n\n`;
  const content = `${current.content ?? ''}${separator}${contentOf(email)}`;
  if (content.length > app.config.contentMaxChars) return null;
  const metadata = current.metadata ?? {};
  const known = Array.isArray(metadata.participants)
    ? (metadata.participants as unknown[]).filter((p): p is string => typeof p === 'string')
    : [];
  // Files first: if the quota refuses them, the conversation is left as it was.
  const stored = await storeFiles(app, scope, conversationId, filesOf(email));
  try {
    await updateConversation(app, scope, conversationId, {
      content,
      metadata: {
        participants: [...new Set([...known, ...addressesOf(email)])].slice(0, MAX_PARTICIPANTS),
        message_count: (typeof metadata.message_count === 'number' ? metadata.message_count : 1) + 1,
        last_message_at: sentAt.toISOString(),
      },
    });
  } catch (e) {
    await removeFiles(app, scope, stored);
    throw e;
  }
  return conversationId;
}

/** A first message longer than CONTENT_MAX_CHARS is kept up to the limit, and says so. */
function fit(app: App, text: string): string {
  const max = app.config.contentMaxChars;
  if (text.length <= max) return text;
  const note = '\n\n[… truncated]';
  if (max <= note.length) throw AppError.validation({ content: [`Content must be less than ${max} characters`] });
  return text.slice(0, max - note.length) + note;
}
