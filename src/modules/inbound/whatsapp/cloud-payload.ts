// The WhatsApp Business Cloud API webhook payload → the messages we keep. Read leniently (Meta adds
// fields and message types over time): what is not understood is skipped, never a reason to refuse a
// signed delivery. `statuses[]` (sent/delivered/read of outgoing messages) are ignored.
// https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples
import { z } from 'zod';

export interface CloudMessage {
  phoneNumberId: string;
  displayPhoneNumber: string | null;
  waId: string;
  contactName: string | null;
  id: string;
  at: Date;
  text: string;
}

const str = z.string().min(1);
const media = z.looseObject({ caption: z.string().optional(), filename: z.string().optional() }).optional();

const message = z.looseObject({
  id: str,
  from: str,
  timestamp: z.union([z.string(), z.number()]),
  type: z.string().optional(),
  text: z.looseObject({ body: z.string() }).optional(),
  image: media,
  video: media,
  audio: media,
  document: media,
  sticker: media,
  location: z
    .looseObject({
      name: z.string().optional(),
      address: z.string().optional(),
      latitude: z.number().optional(),
      longitude: z.number().optional(),
    })
    .optional(),
  contacts: z.array(z.looseObject({ name: z.looseObject({ formatted_name: z.string().optional() }).optional() })).optional(),
  button: z.looseObject({ text: z.string().optional() }).optional(),
  interactive: z
    .looseObject({
      button_reply: z.looseObject({ title: z.string().optional() }).optional(),
      list_reply: z.looseObject({ title: z.string().optional() }).optional(),
    })
    .optional(),
});

const value = z.looseObject({
  metadata: z.looseObject({ phone_number_id: str, display_phone_number: z.string().optional() }),
  contacts: z
    .array(z.looseObject({ wa_id: z.string().optional(), profile: z.looseObject({ name: z.string().optional() }).optional() }))
    .optional(),
  messages: z.array(z.unknown()).optional(),
});

const payload = z.looseObject({
  object: z.string().optional(),
  entry: z
    .array(z.looseObject({ changes: z.array(z.looseObject({ field: z.string().optional(), value: z.unknown() })).optional() }))
    .optional(),
});

/** What a message says, as one chat line's text; null for what carries no words (reactions, unknown types). */
function textOf(m: z.infer<typeof message>): string | null {
  const type = m.type ?? (m.text ? 'text' : undefined);
  switch (type) {
    case 'text':
      return m.text?.body.trim() || null;
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker': {
      const part = m[type];
      const label = type === 'document' && part?.filename ? part.filename : type;
      return part?.caption?.trim() ? `[${label}] ${part.caption.trim()}` : `<attached: ${label}>`;
    }
    case 'location': {
      const l = m.location;
      const where = [l?.name, l?.address].filter(Boolean).join(', ');
      const coords = l?.latitude !== undefined && l?.longitude !== undefined ? ` (${l.latitude}, ${l.longitude})` : '';
      return `[location] ${where}${coords}`.trim();
    }
    case 'contacts':
      return `[contact] ${(m.contacts ?? [])
        .map((c) => c.name?.formatted_name)
        .filter(Boolean)
        .join(', ')}`.trim();
    case 'button':
      return m.button?.text?.trim() || null;
    case 'interactive':
      return (m.interactive?.button_reply?.title ?? m.interactive?.list_reply?.title)?.trim() || null;
    default:
      return null;
  }
}

/** Every message of a delivery with words in it. `skipped` counts what was not understood. */
export function messagesOf(body: unknown): { messages: CloudMessage[]; skipped: number } {
  const out: CloudMessage[] = [];
  let skipped = 0;
  const p = payload.safeParse(body);
  if (!p.success) return { messages: out, skipped: 1 };
  for (const entry of p.data.entry ?? []) {
    for (const change of entry.changes ?? []) {
      if (change.field && change.field !== 'messages') continue;
      const v = value.safeParse(change.value);
      if (!v.success) {
        skipped++;
        continue;
      }
      const names = new Map((v.data.contacts ?? []).filter((c) => c.wa_id).map((c) => [c.wa_id!, c.profile?.name?.trim() || null]));
      for (const raw of v.data.messages ?? []) {
        const m = message.safeParse(raw);
        const text = m.success ? textOf(m.data) : null;
        const seconds = m.success ? Number(m.data.timestamp) : NaN;
        if (!m.success || text === null || !Number.isFinite(seconds)) {
          skipped++;
          continue;
        }
        out.push({
          phoneNumberId: v.data.metadata.phone_number_id,
          displayPhoneNumber: v.data.metadata.display_phone_number ?? null,
          waId: m.data.from,
          contactName: names.get(m.data.from) ?? null,
          id: m.data.id,
          at: new Date(seconds * 1000),
          text,
        });
      }
    }
  }
  return { messages: out, skipped };
}
