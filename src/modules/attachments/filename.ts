// Client-supplied file names, made safe to store, show and offer as a download name: the last path
// segment only (no `/`, `\` or traversal), no control or bidirectional-override characters, none of
// the characters Windows forbids, no leading dots, at most 200 bytes of UTF-8 with the extension kept.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
const RESERVED = /[<>:"|?*]/g;
const MAX_BYTES = 200;

export const DEFAULT_FILENAME = 'file';

export function sanitizeFilename(raw: string | undefined | null): string {
  if (!raw) return DEFAULT_FILENAME;
  const last = raw.normalize('NFC').split(/[/\\]/).pop() ?? '';
  let name = last.replace(CONTROL, '').replace(RESERVED, '_').replace(/\s+/g, ' ').trim();
  name = name.replace(/^[.\s]+/, '').replace(/[.\s]+$/, '');
  if (!name) return DEFAULT_FILENAME;
  if (Buffer.byteLength(name) <= MAX_BYTES) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  return truncateUtf8(name.slice(0, name.length - ext.length), MAX_BYTES - Buffer.byteLength(ext)).trimEnd() + ext;
}

function truncateUtf8(s: string, maxBytes: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const b = Buffer.byteLength(ch);
    if (bytes + b > maxBytes) break;
    out += ch;
    bytes += b;
  }
  return out;
}
