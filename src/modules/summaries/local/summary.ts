// Picks the key sentences of a conversation and rewrites them in the third person with speaker names.
import type { ParsedConversation } from './parse.js';
import { toThirdPerson } from './rewrite.js';
import { capitalize, ensurePeriod, normalizeSpace, STOP_WORDS, words } from './text.js';
import { termWeights, type Unit } from './units.js';

export type Style = 'concise' | 'detailed' | 'bullet_points';

export interface SummaryTuning {
  /** Word budget per style: the summary stops growing once it has this many words. */
  conciseWords: number;
  detailedWords: number;
  bulletWords: number;
  /** Exponent of the length normalisation: 0 favours long sentences, 1 favours dense ones. */
  lengthExponent: number;
  futureBonus: number;
  firstBonus: number;
  questionFactor: number;
  minTokens: number;
  /** Multiplier for sentences in first/second person: they become "Tom will…" with the names. */
  personBonus: number;
}

export const DEFAULT_TUNING: SummaryTuning = {
  conciseWords: 22,
  detailedWords: 60,
  bulletWords: 45,
  lengthExponent: 0.8,
  futureBonus: 1.5,
  firstBonus: 2,
  questionFactor: 0.7,
  minTokens: 3,
  personBonus: 1.5,
};
const PERSONAL = /\b(?:i|i'm|i'll|i've|i'd|im|me|my|we|we're|we'll|let's|us|our|you|you're|you'll|your)\b/i;

// Plans, promises and decisions are what conversation summaries report most.
const FUTURE =
  /\b(?:will|'ll|going to|gonna|let's|lets|tomorrow|tonight|next (?:week|month|time)|on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|at \d{1,2}(?::\d{2})?|need to|have to|has to|decided|agreed)\b/i;

function scoreUnits(units: Unit[], t: SummaryTuning): number[] {
  const weights = termWeights(units);
  const firstTurn = units[0]?.turn ?? 0;
  return units.map((u) => {
    if (u.tokens.length < t.minTokens) return 0;
    let s = 0;
    for (const c of new Set(u.content)) s += weights.get(c) ?? 0;
    s /= (u.tokens.length + 2) ** t.lengthExponent;
    if (FUTURE.test(u.text)) s *= t.futureBonus;
    if (u.turn === firstTurn) s *= 1 + t.firstBonus;
    if (u.question) s *= t.questionFactor;
    if (PERSONAL.test(u.text)) s *= t.personBonus;
    return s;
  });
}

function overlap(a: Unit, b: Unit): number {
  if (!a.content.length || !b.content.length) return 0;
  const set = new Set(b.content);
  return a.content.filter((c) => set.has(c)).length / Math.min(a.content.length, b.content.length);
}

export function selectUnits(units: Unit[], budget: number, t: SummaryTuning): Unit[] {
  const scores = scoreUnits(units, t);
  const order = units.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const chosen: number[] = [];
  let count = 0;
  for (const i of order) {
    if (count >= budget) break;
    if (scores[i]! <= 0 && chosen.length) break;
    if (chosen.some((j) => overlap(units[i]!, units[j]!) > 0.6)) continue;
    chosen.push(i);
    count += units[i]!.tokens.length;
  }
  return chosen.sort((a, b) => a - b).map((i) => units[i]!);
}

function lowerFirst(text: string): string {
  const first = /^[A-Z][a-z']*/.exec(text)?.[0];
  // Only words that are surely not names lose their capital: function words and "-ly" adverbs.
  const lower = first?.toLowerCase();
  return lower && (STOP_WORDS.has(lower) || /^\p{L}{3,}ly$/u.test(lower)) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

export function renderUnit(u: Unit, english = true): string {
  if (!english) return ensurePeriod(u.speaker ? `${u.speaker}: ${u.text}` : u.text);
  let text = u.speaker ? toThirdPerson(u.text, { speaker: u.speaker, addressee: u.addressee }) : u.text;
  // A sentence that still does not name its speaker is attributed so the reader knows who said it.
  if (u.speaker && !text.toLowerCase().includes(u.speaker.toLowerCase())) {
    text = u.question ? `${u.speaker} asks: ${text}` : `${u.speaker} says ${lowerFirst(text)}`;
  }
  return ensurePeriod(capitalize(normalizeSpace(text.replace(/\?$/, '.'))));
}

export function summarizeUnits(
  conv: ParsedConversation,
  units: Unit[],
  style: Style,
  english = true,
  t: SummaryTuning = DEFAULT_TUNING,
): string {
  if (!units.length) return '';
  const budget = style === 'detailed' ? t.detailedWords : style === 'bullet_points' ? t.bulletWords : t.conciseWords;
  const selected = selectUnits(units, budget, t);
  const sentences = selected.map((u) => renderUnit(u, english));
  if (style === 'bullet_points') return sentences.map((s) => `- ${s}`).join('\n');
  if (style === 'detailed' && english && conv.participants.length > 1) {
    sentences.unshift(`Conversation between ${conv.participants.slice(0, 6).join(', ')}.`);
  }
  return sentences.join(' ');
}

export function wordCount(text: string): number {
  return words(text).length;
}
