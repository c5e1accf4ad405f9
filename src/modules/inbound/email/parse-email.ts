// A raw RFC 822 message → what a conversation needs. MIME, charsets and encoded words are mailparser's
// (HTML is converted to text by it, with html-to-text, when there is no text part); the rules about
// subjects and replies are in email-text.ts.
import crypto from 'node:crypto';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { AppError } from '../../../lib/errors.js';
import { cleanSubject, normalizeText, subjectLooksLikeReply, trimReply } from './email-text.js';

export interface EmailAddress {
  name: string;
  address: string;
}

export interface EmailFile {
  filename: string;
  content: Buffer;
}

export interface ParsedEmail {
  /** The Message-ID without angle brackets, or null when the message has none. */
  messageId: string | null;
  /** What duplicates are recognised by: the Message-ID, else a hash of the raw bytes. */
  dedupeId: string;
  /** Message-IDs this one answers, most specific first (In-Reply-To, then References newest first). */
  threadIds: string[];
  isReply: boolean;
  title: string;
  /** The body as text: for replies, without quoted history and signature. */
  text: string;
  from: EmailAddress;
  to: EmailAddress[];
  cc: EmailAddress[];
  date: Date | null;
  attachments: EmailFile[];
}

/** At most this many recipients per header go into metadata (which is limited to 16 KB). */
const MAX_LISTED = 50;

const invalid = (message: string) => AppError.validation({ email: [message] }, 'The email could not be read');

export async function parseEmail(raw: Buffer): Promise<ParsedEmail> {
  if (raw.length === 0) throw invalid('The message is empty');
  // mailparser accepts anything; a message must at least start with a header field.
  if (!/^[\x21-\x39\x3b-\x7e]+:/.test(raw.subarray(0, 1000).toString('latin1'))) {
    throw invalid('Not an RFC 822 message: it does not start with header fields');
  }
  let mail: ParsedMail;
  try {
    mail = await simpleParser(raw, { skipTextLinks: true, skipImageLinks: true });
  } catch (e) {
    throw invalid(`Malformed MIME message: ${(e as Error).message}`);
  }
  const from = addresses(mail.from)[0];
  if (!from) throw invalid('The message has no From address');

  const messageId = bareId(mail.messageId);
  const threadIds = [...idsOf(mail.inReplyTo), ...idsOf(mail.references).reverse()];
  const isReply = threadIds.length > 0 || subjectLooksLikeReply(mail.subject);
  const body = mail.text ?? '';
  const date = mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date : null;
  return {
    messageId,
    dedupeId: messageId ?? `sha256:${crypto.createHash('sha256').update(raw).digest('hex')}`,
    threadIds: [...new Set(threadIds)].filter((id) => id !== messageId),
    isReply,
    title: cleanSubject(mail.subject).slice(0, 500) || '(no subject)',
    text: isReply ? trimReply(body) : normalizeText(body),
    from,
    to: addresses(mail.to).slice(0, MAX_LISTED),
    cc: addresses(mail.cc).slice(0, MAX_LISTED),
    date,
    attachments: mail.attachments
      // Images embedded in the HTML (logos, signatures) are part of the layout, not files someone sent.
      .filter((a) => !(a.related && a.contentDisposition === 'inline'))
      .map((a, i) => ({ filename: a.filename || `attachment-${i + 1}${extensionFor(a.contentType)}`, content: a.content })),
  };
}

function addresses(field: AddressObject | AddressObject[] | undefined): EmailAddress[] {
  const list = Array.isArray(field) ? field : field ? [field] : [];
  const out: EmailAddress[] = [];
  const walk = (entries: AddressObject['value']) => {
    for (const e of entries) {
      if (e.group) walk(e.group);
      else if (e.address) out.push({ name: (e.name ?? '').trim(), address: e.address.trim().toLowerCase() });
    }
  };
  for (const f of list) walk(f.value);
  return out;
}

function bareId(id: string | undefined): string | null {
  const s = id?.trim().replace(/^<|>$/g, '').trim();
  return s ? s.slice(0, 998) : null;
}

function idsOf(v: string | string[] | undefined): string[] {
  const raw = Array.isArray(v) ? v.join(' ') : (v ?? '');
  const found = raw.match(/<[^<>\s]+>/g) ?? raw.split(/\s+/);
  return found.map((x) => bareId(x)).filter((x): x is string => !!x);
}

function extensionFor(contentType: string): string {
  const sub = contentType.split('/')[1]?.split(/[;+]/)[0] ?? '';
  if (contentType === 'message/rfc822') return '.eml';
  return /^[a-z0-9]{1,8}$/i.test(sub) ? `.${sub === 'plain' ? 'txt' : sub}` : '';
}

export function formatAddress(a: EmailAddress): string {
  return a.name ? `${a.name} <${a.address}>` : a.address;
}
