// Language detection with eld's n-gram database, loaded synchronously once per process (static entry).
import { eld } from 'eld/small';

import { normalizeSpace } from './text.js';

/** ISO 639-1 code; falls back to the caller's hint, then English, when the text is too short to tell. */
export function detectLanguage(text: string, hint?: string): string {
  const sample = normalizeSpace(text).slice(0, 2000);
  const fallback = hint && /^[a-z]{2}$/i.test(hint) ? hint.toLowerCase() : 'en';
  if (sample.replace(/[^\p{L}]/gu, '').length < 12) return fallback;
  const result = eld.detect(sample);
  if (!result.language) return fallback;
  if (!result.isReliable() && hint) return fallback;
  return result.language;
}
