// Hand-written fixtures for the inbound channels: raw RFC 822 messages, zips (yazl), Cloud API
// payloads signed like Meta signs them.
import crypto from 'node:crypto';
import yazl from 'yazl';
import { readResponse } from './server.js';

export const CRLF = '\r\n';

export interface EmailParts {
  from?: string;
  to?: string;
  cc?: string;
  subject?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string;
  date?: string;
  /** Everything after the common headers: more headers, the blank line and the body. */
  mime: string;
}

/** A raw message with CRLF line ends. `mime` starts with the Content-Type header (or the blank line). */
export function rawEmail(p: EmailParts): string {
  const headers = [
    `From: ${p.from ?? '"Anna Schmidt" <anna@example.com>'}`,
    `To: ${p.to ?? 'Tom Baker <tom@example.com>'}`,
    ...(p.cc ? [`Cc: ${p.cc}`] : []),
    `Subject: ${p.subject ?? 'Pricing for Q1'}`,
    `Date: ${p.date ?? 'Tue, 02 Jan 2024 10:00:00 +0100'}`,
    ...(p.messageId ? [`Message-ID: <${p.messageId}>`] : []),
    ...(p.inReplyTo ? [`In-Reply-To: <${p.inReplyTo}>`] : []),
    ...(p.references ? [`References: ${p.references}`] : []),
    'MIME-Version: 1.0',
  ];
  return `${headers.join(CRLF)}${CRLF}${p.mime.replace(/\r?\n/g, CRLF)}`;
}

export const textPart = (body: string, charset = 'utf-8') =>
  `Content-Type: text/plain; charset=${charset}\nContent-Transfer-Encoding: 8bit\n\n${body}\n`;

export function uniqueId(label: string): string {
  return `${label}.${crypto.randomBytes(6).toString('hex')}@mail.example.com`;
}

export async function postEmail(baseUrl: string, raw: string | Buffer, auth: { key?: string; query?: string; basic?: string } = {}) {
  const headers: Record<string, string> = { 'Content-Type': 'message/rfc822' };
  if (auth.key) headers.Authorization = `Bearer ${auth.key}`;
  if (auth.basic) headers.Authorization = `Basic ${Buffer.from(`inbound:${auth.basic}`).toString('base64')}`;
  const res = await fetch(`${baseUrl}/v1/inbound/email${auth.query ?? ''}`, {
    method: 'POST',
    headers,
    body: new Uint8Array(typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw),
  });
  return readResponse(res);
}

export async function postForm(
  url: string,
  key: string | undefined,
  parts: Record<string, string | { bytes: Uint8Array | string; name: string }>,
) {
  const form = new FormData();
  for (const [k, v] of Object.entries(parts)) {
    if (typeof v === 'string') form.append(k, v);
    else form.append(k, new Blob([v.bytes as BlobPart]), v.name);
  }
  const res = await fetch(url, { method: 'POST', headers: key ? { Authorization: `Bearer ${key}` } : {}, body: form });
  return readResponse(res);
}

/** A zip made with yazl; entries are deflated unless `store`. */
export function makeZip(entries: { name: string; data: Buffer | string; store?: boolean }[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const e of entries) zip.addBuffer(Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data), e.name, { compress: !e.store });
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

/** Rewrites an entry's name in place, in its local header and its central directory record (same length). */
export function renameEntry(zip: Buffer, from: string, to: string): Buffer {
  if (from.length !== to.length) throw new Error('names must have the same length');
  const out = Buffer.from(zip);
  let at = 0;
  for (;;) {
    const i = out.indexOf(from, at, 'latin1');
    if (i < 0) break;
    out.write(to, i, 'latin1');
    at = i + from.length;
  }
  return out;
}

/** Sets the uncompressed size an entry declares in the central directory (a zip that lies about it). */
export function declareSize(zip: Buffer, name: string, size: number): Buffer {
  const out = Buffer.from(zip);
  for (let i = out.length - 46; i >= 0; i--) {
    if (out.readUInt32LE(i) !== 0x02014b50) continue;
    const nameLength = out.readUInt16LE(i + 28);
    if (out.toString('latin1', i + 46, i + 46 + nameLength) === name) {
      out.writeUInt32LE(size, i + 24);
      return out;
    }
  }
  throw new Error(`no central directory record for ${name}`);
}

export function signature(secret: string, body: string | Buffer): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface WaMessage {
  id: string;
  from: string;
  name?: string;
  at: Date;
  text?: string;
  /** Replaces the text message with a raw Cloud API message object. */
  raw?: Record<string, unknown>;
}

/** A Cloud API webhook delivery for one business number, with its messages and, optionally, a status update. */
export function cloudPayload(phoneNumberId: string, messages: WaMessage[], opts: { status?: boolean } = {}) {
  const contacts = [...new Map(messages.map((m) => [m.from, { profile: { name: m.name ?? 'Unknown' }, wa_id: m.from }])).values()];
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
              contacts,
              messages: messages.map((m) =>
                m.raw
                  ? { from: m.from, id: m.id, timestamp: String(Math.floor(m.at.getTime() / 1000)), ...m.raw }
                  : {
                      from: m.from,
                      id: m.id,
                      timestamp: String(Math.floor(m.at.getTime() / 1000)),
                      type: 'text',
                      text: { body: m.text ?? '' },
                    },
              ),
              ...(opts.status
                ? {
                    statuses: [
                      {
                        id: 'wamid.status1',
                        status: 'delivered',
                        timestamp: String(Math.floor(Date.now() / 1000)),
                        recipient_id: messages[0]?.from ?? '4915100000000',
                      },
                    ],
                  }
                : {}),
            },
          },
        ],
      },
    ],
  };
}
