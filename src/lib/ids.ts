// Prefixed, opaque, URL-safe, unguessable and roughly time-sortable identifiers (docs/spec/product.md §2):
// a ULID (48-bit millisecond time + 80 random bits from a CSPRNG), lower-cased.
import { ulid } from 'ulid';

export const ID_PREFIXES = {
  account: 'user',
  apiKey: 'key',
  conversation: 'conv',
  attachment: 'att',
  summary: 'summary',
  export: 'export',
  webhook: 'webhook',
  event: 'evt',
  delivery: 'dlv',
  oauthClient: 'oac',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${ulid().toLowerCase()}`;
}

const ULID_BODY = /^[0-9a-hjkmnp-tv-z]{26}$/;

/** True when `id` is well-formed for `kind`. A malformed id is answered like an unknown one (404). */
export function isId(kind: IdKind, id: unknown): id is string {
  if (typeof id !== 'string') return false;
  const prefix = `${ID_PREFIXES[kind]}_`;
  return id.startsWith(prefix) && ULID_BODY.test(id.slice(prefix.length));
}
