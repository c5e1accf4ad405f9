// Rewrites a first/second-person chat sentence into third person with the participants' names:
// "I'll send you the file" said by Tom to Anna becomes "Tom will send Anna the file".
// Reference summaries of conversations are written this way, so this is where most of the gain over
// plain extraction comes from.

const ADVERBS =
  'just really also still never always already actually probably only totally definitely even usually often ' +
  'sometimes finally literally honestly seriously kinda kind of sort of almost nearly barely hardly absolutely';
const ADVERB_RE = `(?:(?:${ADVERBS.split(' ').join('|')})\\s+)*`;

const MODALS = new Set(
  "can could would should must might may will shall cannot can't couldn't wouldn't shouldn't won't mustn't".split(' '),
);

// Common irregular past forms: a verb already in the past tense must not get a third-person "-s".
const IRREGULAR_PAST = new Set(
  (
    'went got saw made took came said told bought brought thought found gave left lost met paid sent spent felt ' +
    'heard kept knew ran sat slept spoke stood won wrote ate drank drove fell forgot had did was were began broke ' +
    'built caught chose fought flew grew held hurt meant sold taught threw understood woke wore became lent led ' +
    'rode rang swam stole hid bit dug fed forgave froze hung lay lit shook shot sang sank slid spun stuck struck ' +
    'swore tore overslept overheard mistook withdrew'
  ).split(' '),
);
// "-eed" verbs are base forms ("need", "feed") except these past forms.
const PAST_EED = new Set(['agreed', 'freed', 'guaranteed', 'refereed', 'disagreed']);
// Imperatives that ask something of the other person: "give me the address" → "asks Fred to give…".
const REQUEST_VERBS =
  "give|send|tell|show|call|text|let(?!'?s\\b)|help|bring|get|take|buy|pick|check|wait|come|meet|remind|write|email|pass|" +
  'lend|book|grab|find|ask|keep|save|leave|forward|share|sign|pay|return|confirm|answer|reply|look|try|make';
const IMPERATIVE_REQUEST = new RegExp(`^\\s*(?:please\\s+|pls\\s+|plz\\s+|just\\s+)?((?:${REQUEST_VERBS})\\b[^?]*)$`, 'i');
const NOT_VERBS = new Set('a an the to and or but so that this not no yes too as if at in on of for with'.split(' '));

export function thirdPersonVerb(verb: string): string {
  const v = verb.toLowerCase();
  const past = /ed$/.test(v) && (!/eed$/.test(v) || PAST_EED.has(v));
  if (MODALS.has(v) || IRREGULAR_PAST.has(v) || NOT_VERBS.has(v) || past || /['’]/.test(v)) return verb;
  if (v === 'have') return 'has';
  if (v === 'am' || v === 'be') return 'is';
  if (v === 'do') return 'does';
  if (v === 'go') return 'goes';
  if (/(?:s|sh|ch|x|z|o)$/.test(v)) return `${verb}es`;
  if (/[^aeiou]y$/.test(v)) return `${verb.slice(0, -1)}ies`;
  return `${verb}s`;
}

function pluralVerbFix(text: string): string {
  // "we" becomes two names, so a verb agreed with a single person must become plural.
  return text
    .replace(/\u0003\s+is\b/g, '\u0003 are')
    .replace(/\u0003\s+was\b/g, '\u0003 were')
    .replace(/\u0003\s+has\b/g, '\u0003 have');
}

export interface RewriteContext {
  speaker: string;
  /** Who "you" refers to: the other person in a two-party chat, otherwise the person answered. */
  addressee?: string;
  /** Replaces possessive "my": e.g. "his", "her" or "their". */
  possessive?: string;
  /** Only swap pronouns; leave questions and imperatives as they are (used for action-item fragments). */
  pronounsOnly?: boolean;
}

export function toThirdPerson(sentence: string, ctx: RewriteContext): string {
  const S = '\u0001';
  const A = '\u0002';
  const we = '\u0003';
  const addressee = ctx.addressee;
  let s = ` ${sentence} `.replace(/[’‘]/g, "'");

  // Colloquial contractions first, so the grammar below sees ordinary verbs.
  s = s
    .replace(/\bwanna\b/gi, 'want to')
    .replace(/\bgonna\b/gi, 'going to')
    .replace(/\bgotta\b/gi, 'have to');

  // Discourse fillers that have no place in a summary.
  s = s.replace(/\b(?:i think|i guess|i mean|i suppose|i believe|you know|to be honest|tbh|i'm afraid|i'm sure|i hope)\b,?\s*/gi, ' ');

  // Questions addressed to the other person become requests: "can you send it?" → "asks Anna to send it".
  if (addressee && !ctx.pronounsOnly) {
    s = s.replace(
      /^\s*(?:so\s+|and\s+|but\s+)?(?:can|could|would|will)\s+you\s+(?:please\s+)?([^?]+)\?/i,
      (_m, rest: string) => ` ${S} asks ${A} to ${rest.trim()}.`,
    );
    s = s.replace(
      /^\s*(?:so\s+|and\s+)?do\s+you\s+(?:want|wanna)\s+(?:to\s+)?([^?]+)\?/i,
      (_m, rest: string) => ` ${S} asks ${A} to ${rest.trim()}.`,
    );
    s = s.replace(/^\s*(?:so\s+|and\s+)?(?:are|r)\s+you\s+([^?]+)\?/i, (_m, rest: string) => ` ${S} asks if ${A} is ${rest.trim()}.`);
    s = s.replace(/^\s*(?:so\s+|and\s+)?(did|do|have)\s+you\s+([^?]+)\?/i, (_m, aux: string, rest: string) => {
      const r = rest.trim();
      if (aux.toLowerCase() !== 'do') return ` ${S} asks if ${A} ${aux.toLowerCase() === 'did' ? 'did' : 'has'} ${r}.`;
      const [verb, ...tail] = r.split(' ');
      return ` ${S} asks if ${A} ${thirdPersonVerb(verb!)} ${tail.join(' ')}.`;
    });
    s = s.replace(/^\s*(?:so\s+|and\s+)?(?:can|could|may)\s+i\s+([^?]+)\?/i, (_m, rest: string) => ` ${S} asks to ${rest.trim()}.`);
    s = s.replace(
      /^\s*(is|are|was|were|does|did|has|have|can|could|will|would|should)\s+(he|she|it|we|they|this|that|there|the\s+\w+|\w+)\s+([^?]+)\?/i,
      (m, aux: string, subject: string, rest: string) => {
        // A bare word is a subject only when capitalised like a name ("Is Tom coming?").
        if (!/^(?:he|she|it|we|they|this|that|there|the\s+\w+)$/i.test(subject) && !/^[A-Z]/.test(subject)) return m;
        const a = aux.toLowerCase();
        if (a === 'does') {
          const [verb, ...tail] = rest.trim().split(' ');
          return ` ${S} asks if ${subject} ${thirdPersonVerb(verb!)} ${tail.join(' ')}.`;
        }
        return ` ${S} asks if ${subject} ${a} ${rest.trim()}.`;
      },
    );
    s = s.replace(
      /^\s*((?:what|where|when|who|why|how|which)\b[^?]*)\?/i,
      (_m, q: string) => ` ${S} asks ${A} ${q.charAt(0).toLowerCase()}${q.slice(1)}.`,
    );
    const imperative = IMPERATIVE_REQUEST.exec(s);
    if (imperative && (/\b(?:me|us|please|pls)\b/i.test(s) || imperative[1]!.trim().split(/\s+/).length >= 3)) {
      const body = imperative[1]!.replace(/\b(?:please|pls|plz)\b/gi, '').trim();
      s = ` ${S} asks ${A} to ${body.charAt(0).toLowerCase()}${body.slice(1)}`;
    }
  }
  s = s.replace(/\blet'?s\s+/gi, `${we} will `);
  if (!ctx.pronounsOnly) s = s.replace(/\bshall\s+we\b\s+([^?]+)\?/gi, (_m, rest: string) => `${S} suggests they ${rest}.`);

  // First person singular with the verb forms that follow it.
  s = s
    .replace(/\b(?:i'm|im|i am)\b/gi, `${S} is`)
    .replace(/\b(?:i'll|i will|ill)\b(?=\s)/gi, `${S} will`)
    .replace(
      /\b(?:i've|ive|i have)\b(?=\s+(?:to|got|been|just|already|never|\w+ed\b|\w+en\b|seen|done|made|had|sent|bought|found|lost|told|heard|met))/gi,
      `${S} has`,
    )
    .replace(/\bi've\b/gi, `${S} has`)
    .replace(/\bi'd\b/gi, `${S} would`)
    .replace(/\bi (?:do not|don't|dont)\b/gi, `${S} doesn't`)
    .replace(/\bi (didn't|didnt|can't|cant|cannot|won't|wont|couldn't|wouldn't|shouldn't|was|wasn't)\b/gi, `${S} $1`)
    .replace(
      new RegExp(`(?<!\\b(?:do|did|can|could|should|would|will|shall|may|might|must|to)\\s+)\\bi\\s+(${ADVERB_RE})([a-z']+)\\b`, 'gi'),
      (_m, adv: string, verb: string) => `${S} ${adv}${thirdPersonVerb(verb)}`,
    )
    .replace(/\bi\b/gi, S)
    .replace(/\b(?:me|myself)\b/gi, S)
    .replace(/\bmy\b/gi, ctx.possessive ?? 'their')
    .replace(/\bmine\b/gi, `${S}'s`);

  // Second person.
  const you = addressee ? A : 'the others';
  s = s
    .replace(/\b(?:you're|youre|you are)\b/gi, `${you} ${addressee ? 'is' : 'are'}`)
    .replace(/\byou were\b/gi, `${you} ${addressee ? 'was' : 'were'}`)
    .replace(/\b(?:you've|you have)\b/gi, `${you} ${addressee ? 'has' : 'have'}`)
    .replace(/\b(?:you'll|youll)\b/gi, `${you} will`)
    .replace(/\byou'd\b/gi, `${you} would`)
    .replace(/\byou (?:don't|dont|do not)\b/gi, `${you} ${addressee ? "doesn't" : "don't"}`)
    .replace(/\b(?:your|yours|ur)\b/gi, addressee ? `${A}'s` : 'their')
    .replace(/\b(?:you guys|y'all|yall)\b/gi, 'them')
    .replace(/\b(?:you|u|yourself)\b/gi, you);

  // First person plural: names when we know both sides, else "they".
  const pair = addressee ? `${we}` : 'they';
  s = s
    .replace(/\b(?:we're|we are)\b/gi, `${pair} are`)
    .replace(/\b(?:we'll|we will)\b/gi, `${pair} will`)
    .replace(/\b(?:we've|we have)\b/gi, `${pair} have`)
    .replace(/\bwe\b/gi, pair)
    .replace(/\b(?:us|ourselves)\b/gi, 'them')
    .replace(/\bour\b/gi, 'their');
  s = pluralVerbFix(s);

  const names = addressee ? `${ctx.speaker} and ${addressee}` : ctx.speaker;
  // Only the first mention of the speaker is a name; later ones read better as pronouns, but we cannot know
  // the gender, so the name is repeated only where a subject is needed.
  s = s
    .replace(new RegExp(we, 'g'), names)
    .replace(new RegExp(S, 'g'), ctx.speaker)
    .replace(new RegExp(A, 'g'), addressee ?? 'the others');
  return s
    .replace(/\s+/g, ' ')
    .replace(/\s+([,.!?;:])/g, '$1')
    .trim();
}
