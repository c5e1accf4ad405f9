// POST /v1/conversations/import/whatsapp: one chat export → one conversation (source whatsapp), its
// media files as attachments. whatsapp-chat-parser reads both export styles (Android
// "12/01/2024, 09:15 - Anna: …", iOS "[12.01.24, 09:15:03] Anna: …", day- or month-first, 12/24 h) and
// multi-line messages. Export times carry no time zone: they are taken as UTC.
import { parseString, type Message } from 'whatsapp-chat-parser';
import type { AccountScope, App } from '../../../app.js';
import { createConversation } from '../../conversations/create-conversation.js';
import { deleteConversation } from '../../conversations/delete-conversation.js';
import { storeFiles } from '../store-files.js';
import { chatLines, type ChatMessage } from './chat-lines.js';
import { readChatExport, refused } from './chat-export.js';

export interface ChatUpload {
  content: Buffer;
  filename: string;
  title?: string;
}

const MAX_PARTICIPANTS = 100;

/** The parser builds local-time dates from the written digits; the same digits as UTC instead. */
function asUtc(d: Date): Date {
  return new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()));
}

/** iOS marks system lines ("Messages and calls are end-to-end encrypted") with a leading LRM and an author. */
function isSystem(m: Message): boolean {
  return m.author === null || (m.message.startsWith('\u200e') && !m.attachment && !/omitted$/i.test(m.message.trim()));
}

export function chatMessagesOf(text: string): ChatMessage[] {
  let parsed: Message[];
  try {
    parsed = parseString(text.replace(/^\ufeff/, ''), { parseAttachments: true });
  } catch {
    parsed = [];
  }
  return parsed
    .filter((m) => !isSystem(m) && !Number.isNaN(m.date.getTime()))
    .map((m) => ({
      at: asUtc(m.date),
      author: m.author!.replace(/^[\u200e\u202a\u202c~\s]+|[\u200e\u202a\u202c\s]+$/g, ''),
      text: m.attachment ? `<attached: ${m.attachment.fileName}>` : m.message,
    }));
}

function titleFor(upload: ChatUpload, textName: string, participants: string[]): string {
  const named =
    /^WhatsApp Chat (?:with|mit|con|avec|met|com) (.+)\.txt$/i.exec(textName)?.[1] ??
    /^WhatsApp Chat - (.+)\.zip$/i.exec(upload.filename)?.[1];
  const title = upload.title?.trim() || (named ? `WhatsApp chat with ${named.trim()}` : `WhatsApp chat: ${participants.join(', ')}`);
  return title.slice(0, 500);
}

export async function importWhatsAppChat(app: App, scope: AccountScope, upload: ChatUpload): Promise<string> {
  const exported = await readChatExport(upload.content, upload.filename, app.config.inbound);
  try {
    const messages = chatMessagesOf(exported.text);
    if (!messages.length) throw refused('Not a WhatsApp chat export: no messages in the WhatsApp format were found');
    const content = chatLines(messages);
    if (content.length > app.config.contentMaxChars) {
      throw refused(`The chat is too long: ${content.length} characters once imported, at most ${app.config.contentMaxChars} are accepted`);
    }
    const participants = [...new Set(messages.map((m) => m.author))].slice(0, MAX_PARTICIPANTS);
    const times = messages.map((m) => m.at.getTime());
    const first = new Date(Math.min(...times)).toISOString();
    const last = new Date(Math.max(...times)).toISOString();
    const conversation = await createConversation(app, scope, {
      title: titleFor(upload, exported.textName, participants),
      content,
      source: 'whatsapp',
      metadata: {
        participants,
        date: first,
        first_message_at: first,
        last_message_at: last,
        message_count: messages.length,
        imported_from: upload.filename.split(/[/\\]/).pop()!.slice(0, 200),
      },
    });
    try {
      await storeFiles(
        app,
        scope,
        conversation.id,
        exported.media.map((m) => ({ filename: m.name, open: m.open })),
      );
    } catch (e) {
      await deleteConversation(app, scope, conversation.id).catch((err) => app.log.error({ err }, 'could not remove a refused import'));
      throw e;
    }
    return conversation.id;
  } finally {
    exported.close();
  }
}
