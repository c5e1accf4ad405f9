// Topics: short lowercase noun-like phrases that recur in the conversation. Without a part-of-speech
// tagger, phrases are runs of content words; common verbs and adjectives are filtered by a hand list.
import { foreignStopWords } from './stopwords.js';
import { isContentWord, lightStem, words } from './text.js';
import type { Unit } from './units.js';

const MAX_TOPICS = 8;

// Frequent verbs/adjectives/adverbs that would otherwise surface as "topics" of any chat.
const NOT_TOPICS = new Set(
  (
    'send sent call called ask asked want wanted need needed let try tried feel felt hope work works worked ' +
    'talk talked meet met wait waiting love loved hate hated sorry glad happy sad bad better worse awesome amazing ' +
    'cute funny crazy late early free busy ready nice lovely pretty little big small new old long last next first ' +
    'already yet mean means meant sounds sound looks look looking seems seem remember forgot forget check ' +
    'guess hear heard read write wrote bring brought buy bought pay paid help leave left stay move start ' +
    'started finish finished keep kept find found thank thanks please sure okay alright fine well right wrong ' +
    'true false exactly totally anyway though although also else able back home later minute minutes hour ' +
    'hours week weeks month months year years morning evening afternoon night monday tuesday wednesday thursday ' +
    'friday saturday sunday hey hello hi bye dear best regards cheers kind regards message messages yes oops ' +
    'everyone someone somebody anybody nobody everything nothing place people person guys girl boy idea ' +
    'happen happened understand understood agree agreed sent talk speak spoke told ok thing fun lots ' +
    'pick picked action actions todo item items note notes perfect excellent brilliant wonderful'
  ).split(/\s+/),
);

function candidate(word: string, names: Set<string>, foreign?: Set<string>): boolean {
  return isContentWord(word) && !NOT_TOPICS.has(word) && !names.has(word) && !foreign?.has(word) && /^[\p{L}][\p{L}\p{N}-]*$/u.test(word);
}

// Alone, past participles and adverbs ("booked", "quickly") are rarely what a conversation is about.
const WEAK_ALONE = /^\p{L}{3,}(?:ed|ly)$/u;

export function extractTopics(units: Unit[], participants: string[], language = 'en'): string[] {
  const names = new Set(participants.flatMap((p) => words(p)));
  const foreign = foreignStopWords(language);
  const isCandidate = (w: string) => candidate(w, names, foreign);
  const counts = new Map<string, { count: number; surface: Map<string, number>; size: number; first: number }>();
  const add = (key: string, surface: string, size: number) => {
    let e = counts.get(key);
    if (!e) counts.set(key, (e = { count: 0, surface: new Map(), size, first: counts.size }));
    e.count++;
    e.surface.set(surface, (e.surface.get(surface) ?? 0) + 1);
  };
  for (const u of units) {
    const toks = u.tokens;
    for (let i = 0; i < toks.length; i++) {
      const w = toks[i]!;
      if (!isCandidate(w)) continue;
      if (!WEAK_ALONE.test(w)) add(lightStem(w), w, 1);
      const next = toks[i + 1];
      if (next && isCandidate(next)) add(`${lightStem(w)} ${lightStem(next)}`, `${w} ${next}`, 2);
    }
  }
  const scored = [...counts.entries()]
    .map(([key, e]) => ({ key, e, score: e.count * (e.size === 2 ? 1.6 : 1) }))
    .filter((x) => x.e.size === 1 || x.e.count >= 2)
    // Ties: longer words are usually more specific; then the earliest mention.
    .sort((a, b) => b.score - a.score || b.key.length - a.key.length || a.e.first - b.e.first);

  const topics: string[] = [];
  const used = new Set<string>();
  for (const { key, e } of scored) {
    if (topics.length >= MAX_TOPICS) break;
    const parts = key.split(' ');
    // A single word already covered by a chosen phrase, or a phrase repeating a chosen word, is redundant.
    if (parts.length === 1 && used.has(key)) continue;
    if (parts.length === 2 && parts.every((p) => used.has(p))) continue;
    // Single mentions only make it when the conversation is short and has nothing better.
    if (e.count < 2 && topics.length >= 3) continue;
    const surface = [...e.surface.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
    topics.push(surface.toLowerCase());
    for (const p of parts) used.add(p);
  }
  return topics;
}
