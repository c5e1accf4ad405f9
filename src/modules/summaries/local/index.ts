// Default offline summarizer: no network, no model weights, deterministic and synchronous.
import type { SummaryOutput } from '../providers/provider.js';
import { extractActionItems } from './actions.js';
import { detectLanguage } from './language.js';
import { parseConversation } from './parse.js';
import { detectSentiment } from './sentiment.js';
import { DEFAULT_TUNING, summarizeUnits, type SummaryTuning } from './summary.js';
import { capitalize, joinNames, normalizeSpace } from './text.js';
import { extractTopics } from './topics.js';
import { buildUnits } from './units.js';

export interface SummarizeInput {
  title?: string;
  content: string;
  source?: 'email' | 'whatsapp' | 'api';
  /** ISO 639-1 hint */
  language?: string;
  style?: 'concise' | 'detailed' | 'bullet_points';
}

const MAX_INPUT = 200_000;

function makeTitle(inputTitle: string | undefined, topics: string[], participants: string[], kind: string, heading?: string): string {
  const given = normalizeSpace(inputTitle ?? '');
  if (given) return given.slice(0, 120);
  if (heading) return heading;
  const about = topics.slice(0, 2).join(', ');
  const who = participants.length ? joinNames(participants.slice(0, 3)) + (participants.length > 3 ? ' and others' : '') : '';
  if (about && who) return capitalize(`${about} (${who})`).slice(0, 120);
  if (about) return capitalize(about);
  if (who) return `Conversation between ${who}`;
  return kind === 'email' ? 'Email' : 'Notes';
}

/** Notes often start with a heading line ("Weekly marketing sync"): the best title there is. */
function noteHeading(conv: ReturnType<typeof parseConversation>): string | undefined {
  const first = conv.kind === 'notes' ? conv.turns[0]?.text.replace(/^#+\s*/, '').trim() : undefined;
  if (!first || /[.!?:,;]$/.test(first) || first.split(/\s+/).length > 8 || conv.turns.length < 2) return undefined;
  return first;
}

/** Internal entry with tunable parameters, used by the evaluation script. */
export function summarizeWith(input: SummarizeInput, tuning: SummaryTuning): SummaryOutput {
  const content = (input.content ?? '').slice(0, MAX_INPUT);
  const style = input.style ?? 'concise';
  const conv = parseConversation(content, input.source);
  const units = buildUnits(conv);
  const prose = conv.turns.map((t) => t.text).join('\n');
  const language = detectLanguage(prose || content, input.language);
  // Rewriting, action patterns and the sentiment lexicon are English; other languages get the
  // language-neutral parts (extraction with speaker labels, notes' "Action:" lines, emoji sentiment).
  const english = language === 'en';
  const topics = extractTopics(units, conv.participants, language);
  return {
    title: makeTitle(input.title, topics, conv.participants, conv.kind, noteHeading(conv)),
    content: summarizeUnits(conv, units, style, english, tuning),
    sentiment: detectSentiment(
      conv.turns.map((t) => t.text),
      prose,
      english,
    ),
    topics,
    actionItems: extractActionItems(units, english),
    language,
  };
}

export function summarizeLocally(input: SummarizeInput): SummaryOutput {
  return summarizeWith(input, DEFAULT_TUNING);
}
