// Action items: requests ("can you send…?") and commitments ("I'll send…"), attributed to the person who
// has to act when the conversation tells us who that is.
import { toThirdPerson } from './rewrite.js';
import { capitalize, normalizeSpace } from './text.js';
import type { Unit } from './units.js';

const MAX_ACTIONS = 10;
const MAX_WORDS = 14;

// Verbs that start a task when a sentence is in the imperative ("Send the contract by Friday").
const TASK_VERBS =
  'send|schedule|call|book|review|prepare|share|update|check|confirm|email|e-mail|set up|buy|bring|pay|fix|' +
  'finish|submit|organi[sz]e|arrange|contact|follow up|remind|reply|respond|draft|write|sign|order|invite|' +
  'plan|cancel|move|reschedule|test|deploy|upload|download|print|pick up|drop off|complete|create|add|' +
  'make sure|ask|tell|let .{1,20} know|get back|look into|find|collect|deliver|ship|renew|approve|register';
const IMPERATIVE = new RegExp(`^(?:please\\s+)?((?:${TASK_VERBS})\\b.*)$`, 'i');

// A short lead-in ("ok, then", "sure, no problem,") may precede the promise.
const COMMITMENT =
  /^(?:[^,.;]{0,25}[,;]\s*)?(?:and\s+|so\s+|then\s+)?(?:i(?:'ll| will| am going to|'m going to| can| shall|'m gonna| am gonna)|i'll)\s+(?:definitely\s+|also\s+|just\s+|try to\s+)?(.+)$/i;
const REQUEST =
  /^(?:[\p{Lu}][\p{L}]+,\s*)?(?:so\s+|and\s+)?(?:can|could|would|will)\s+you\s+(?:please\s+)?(?!be\b|believe\b|imagine\b|tell me\b)(.+?)\??$/iu;
const REQUEST_POLITE = /^(?:[\p{Lu}][\p{L}]+,\s*)?(?:please|pls|plz)\s+(.+)$/iu;
const NEED_YOU = /^(?:i\s+)?(?:need|want|would like|'d like)\s+you\s+to\s+(.+)$/i;
const WE_SHOULD = /^(?:let'?s|we\s+(?:need to|should|must|have to|'ll|will)|(?:we|you)\s+have\s+to)\s+(.+)$/i;
// Notes: "Action: …", "TODO …", "Tom to send …", "Tom will send …".
const NOTE_ACTION = /^(?:[-*•]\s*)?(?:\[\s?\]\s*)?(?:action(?: item)?s?|todo|to do|next steps?|ai)\s*[:-]\s*(.+)$/i;
const NAMED_TASK = /^(?:[-*•]\s*)?([\p{Lu}][\p{L}]+)\s+(?:to|will|is going to|should)\s+(.+)$/u;

// Offers that are not tasks: "I can't", "I will be late", "I'll think about it".
const NOT_A_TASK = /^(?:be\b|have been\b|think\b|see\b|never\b|not\b|miss\b|love\b|wait\b|try\b|keep that in mind|let you know\b.*$)/i;

function trimTask(task: string): string {
  let t = task
    .replace(/[?!.]+$/, '')
    // The reason is not part of the task: "send me the numbers so I can check" → "send me the numbers".
    .replace(/\s*,?\s+(?:so that|so (?=i|we|you|he|she|they)|because|since|as soon as)\b.*$/i, '')
    .replace(/\s*,?\s*(?:please|pls|if you can|if possible|thanks|thank you|ok|okay|right)$/i, '')
    .replace(/^(?:to\s+)/i, '');
  const w = t.split(/\s+/);
  if (w.length > MAX_WORDS) {
    // Cut at a clause boundary within the limit if there is one.
    const head = w.slice(0, MAX_WORDS).join(' ');
    const cut = head.search(/,|\b(?:because|but|since|so that|as)\b/i);
    t = cut > 10 ? head.slice(0, cut) : head;
  }
  return normalizeSpace(t.replace(/[,;:]+$/, ''));
}

function attribute(person: string | undefined, task: string, u: Unit): string {
  const ctx = { speaker: u.speaker ?? 'the sender', addressee: u.addressee, possessive: 'their', pronounsOnly: true };
  const rewritten = u.speaker ? toThirdPerson(task, ctx) : task;
  return person ? `${person} to ${rewritten}` : capitalize(rewritten);
}

export function extractActionItems(units: Unit[], english = true): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const keys: Set<string>[] = [];
  const push = (item: string) => {
    const key = item
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, ' ')
      .trim();
    if (!key || seen.has(key) || key.split(' ').length < 2) return;
    seen.add(key);
    const content = new Set(key.split(' ').filter((w) => w.length > 3));
    // A request answered by a promise ("can you send…?" / "I'll send… tomorrow") is one task: keep the
    // later wording, which usually adds the when.
    const dup = keys.findIndex((k) => [...content].filter((w) => k.has(w)).length >= Math.min(k.size, content.size) * 0.6);
    if (dup >= 0 && content.size) {
      out[dup] = item;
      keys[dup] = content;
      return;
    }
    keys.push(content);
    out.push(item);
  };
  for (const u of units) {
    if (out.length >= MAX_ACTIONS) break;
    const text = u.text.replace(/[’‘]/g, "'").trim();
    let m: RegExpExecArray | null;
    if ((m = NOTE_ACTION.exec(text))) {
      const named = NAMED_TASK.exec(m[1]!);
      push(named ? `${named[1]} to ${trimTask(named[2]!)}` : capitalize(trimTask(m[1]!)));
    } else if (!english) {
    } else if ((m = COMMITMENT.exec(text)) && !NOT_A_TASK.test(m[1]!)) {
      push(attribute(u.speaker, trimTask(m[1]!), u));
    } else if ((m = REQUEST.exec(text)) && u.question) {
      push(attribute(u.addressee, trimTask(m[1]!), u));
    } else if ((m = NEED_YOU.exec(text)) || (m = REQUEST_POLITE.exec(text))) {
      if (!/^(?:help|let me|forgive|excuse)\b/i.test(m[1]!)) push(attribute(u.addressee, trimTask(m[1]!), u));
    } else if ((m = WE_SHOULD.exec(text))) {
      push(attribute(undefined, trimTask(m[1]!), u));
    } else if (
      !u.speaker &&
      (m = NAMED_TASK.exec(text)) &&
      /^(?:send|schedule|call|book|review|prepare|share|update|check|confirm|email|follow|set|draft|write|finish|organi|arrange|contact|look)/i.test(
        m[2]!,
      )
    ) {
      push(`${m[1]} to ${trimTask(m[2]!)}`);
    } else if ((m = IMPERATIVE.exec(text)) && !u.question) {
      push(attribute(u.speaker ? u.addressee : undefined, trimTask(m[1]!), u));
    }
  }
  return out;
}
