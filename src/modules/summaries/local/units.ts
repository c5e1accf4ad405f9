// Splits parsed turns into scored sentence units, shared by the summary, topics and action items.
import type { ParsedConversation } from './parse.js';
import { FILLER_START, isContentWord, lightStem, normalizeSpace, splitSentences, stripEmoticons, words } from './text.js';

export interface Unit {
  turn: number;
  speaker?: string;
  addressee?: string;
  /** The sentence with emoticons, links and leading fillers removed. */
  text: string;
  tokens: string[];
  content: string[];
  question: boolean;
}

export function cleanSentence(text: string): string {
  let t = stripEmoticons(text)
    .replace(/https?:\/\/\S+|www\.\S+/gi, ' ')
    .replace(/<[^>]{1,40}>/g, ' ')
    .replace(/(?:^|\s)[*_~]+|[*_~]+(?=\s|$)/g, ' ');
  t = normalizeSpace(t).replace(FILLER_START, '');
  // Repeated punctuation ("?!?!", "....") reads badly in a summary.
  return t
    .replace(/([!?.])[!?.]+/g, '$1')
    .replace(/^[\s,.;:!?-]+/, '')
    .trim();
}

/** Who "you" most likely means in each turn: the other party in a pair, otherwise the person being answered. */
function addressees(conv: ParsedConversation): (string | undefined)[] {
  const { turns, participants } = conv;
  return turns.map((t, i) => {
    if (!t.speaker) return undefined;
    const others = participants.filter((p) => p !== t.speaker);
    if (others.length === 1) return others[0];
    if (conv.kind === 'email' && conv.addressees.length === 1) return conv.addressees[0];
    // Mentioned by name in the turn?
    const lower = t.text.toLowerCase();
    const named = others.find((p) => lower.includes(p.toLowerCase().split(' ')[0]!));
    if (named) return named;
    for (let j = i - 1; j >= 0; j--) if (turns[j]!.speaker && turns[j]!.speaker !== t.speaker) return turns[j]!.speaker;
    for (let j = i + 1; j < turns.length; j++) if (turns[j]!.speaker && turns[j]!.speaker !== t.speaker) return turns[j]!.speaker;
    return undefined;
  });
}

// Words that open a sentence followed by a comma without naming anyone.
const CONNECTIVES = new Set(
  'however anyway anyways also then actually honestly seriously unfortunately fortunately besides otherwise still finally firstly first second meanwhile instead yes no ok okay well so and but or now wait listen look sorry thanks please btw srsly'.split(
    ' ',
  ),
);

/** Strips a vocative ("Tom, can you…", "…, Anna?") and tells whom it addressed, if that is a participant. */
export function stripVocative(text: string, participants: string[]): { text: string; to?: string } {
  const match = (name: string) =>
    participants.find((p) => {
      const first = p.toLowerCase().split(' ')[0]!;
      const n = name.toLowerCase();
      return first === n || (n.length >= 3 && first.startsWith(n));
    });
  const lead = /^([\p{Lu}][\p{L}'’-]+)(?:\s+[\p{Lu}][\p{L}'’-]+)?\s*,\s+(?=\S)/u.exec(text);
  const rest = lead ? text.slice(lead[0].length) : '';
  const addressing =
    /^(?:can|could|would|will|do|did|are|is|have|what|where|when|how|why|you|i|we|please|pls|let|thanks|thank|don't|look|listen|check|give|send|tell|remember|come|call)\b/i;
  if (lead && !CONNECTIVES.has(lead[1]!.toLowerCase()) && (match(lead[1]!) || addressing.test(rest))) {
    return { text: text.slice(lead[0].length).replace(/^\p{Ll}|^\p{Lu}/u, (c) => c.toUpperCase()), to: match(lead[1]!) };
  }
  const tail = /,\s*([\p{Lu}][\p{L}'’-]+)\s*([?!.]*)$/u.exec(text);
  if (tail && match(tail[1]!)) return { text: text.slice(0, tail.index) + tail[2], to: match(tail[1]!) };
  return { text };
}

export function buildUnits(conv: ParsedConversation): Unit[] {
  const to = addressees(conv);
  const units: Unit[] = [];
  conv.turns.forEach((turn, i) => {
    for (const raw of splitSentences(turn.text)) {
      const vocative = stripVocative(cleanSentence(raw), conv.participants);
      const text = vocative.text;
      if (!text) continue;
      const tokens = words(text);
      if (!tokens.length) continue;
      units.push({
        turn: i,
        speaker: turn.speaker,
        addressee: vocative.to && vocative.to !== turn.speaker ? vocative.to : to[i],
        text,
        tokens,
        content: tokens.filter(isContentWord).map(lightStem),
        question: /\?\s*$/.test(text),
      });
    }
  });
  return units;
}

/** Document frequency of content stems over turns: words the participants keep returning to are the topic. */
export function termWeights(units: Unit[]): Map<string, number> {
  const perTurn = new Map<string, Set<number>>();
  for (const u of units) {
    for (const c of u.content) {
      let s = perTurn.get(c);
      if (!s) perTurn.set(c, (s = new Set()));
      s.add(u.turn);
    }
  }
  const weights = new Map<string, number>();
  for (const [k, s] of perTurn) weights.set(k, s.size);
  return weights;
}
