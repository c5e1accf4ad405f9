// Text clean-up before lexicon scoring: VADER (lexicon + negation, intensifiers, "but", caps and
// punctuation rules) lacks handling for chat text: emoji, hashtags, mentions, elongated words, laughter.
// Hand-picked emoji, each mapped to a word VADER already scores (VADER's JS port ignores emoji).
const EMOJI_WORDS: Array<[RegExp, string]> = [
  [/[😍🥰😘😻❤💕💖💗💓💞💙💚💛💜🧡🤍♥]/gu, ' love '],
  [/[😀😁😃😄😆😊🙂😇🥳🤗😋😎😺😸]/gu, ' happy '],
  [/[😂🤣😹]/gu, ' haha '],
  [/[👍👌🙌👏💪✌🎉🎊💯✨⭐🌟🔥🏆🥇]/gu, ' great '],
  [/[😉😜😝😛🤪]/gu, ' fun '],
  [/[😢😭😿💔😞😔😟🙁☹😥😓😪]/gu, ' sad '],
  [/[😠😡🤬👿💢😤]/gu, ' angry '],
  [/[😩😫😖😣🤮🤢👎🙄😒😑😬🤦]/gu, ' annoyed '],
  [/[😱😨😰]/gu, ' scared '],
];

// Words VADER does not know but chats use a lot; hand-written, general-purpose valences.
const EXTRA_POSITIVE =
  /\b(?:thx|ty|congrats|congratulations|yay+|woo+hoo+|awesome+|well done|gorgeous|yummy|delicious|proud|grateful|thankful|blessed)\b/gi;
const EXTRA_NEGATIVE =
  /\b(?:sucks|ugh+|wtf|smh|fml|ffs|damn|dammit|crap|worst|fail(?:ed|s)?|broken|cancel(?:led|ed)|delayed|overdue|complain(?:t|ts|ed)?|refund|disappointed|unacceptable|frustrat(?:ed|ing)|rip)\b/gi;

// Runs of two or more Title Case words are names ("Super Bowl", "Black Friday", "Gentle Yoga"): their
// words must not score as sentiment. Skipped when most of the text is Title Case (shouting or headlines).
function dropNames(text: string): string {
  const tokens = text.match(/\S+/g) ?? [];
  const isTitle = (w: string) => /^[\p{Lu}][\p{Ll}'’-]+[.,:!?]?$/u.test(w);
  const titled = tokens.filter(isTitle).length;
  if (titled > tokens.length * 0.6) return text;
  return text.replace(/(?:^|(?<=\s))(?:[\p{Lu}][\p{Ll}'’-]+)(?:\s+[\p{Lu}][\p{Ll}'’-]+)+/gu, (m, offset: number) => {
    // Keep the first word when it starts a sentence: it is capitalised for another reason.
    const before = text.slice(0, offset).trimEnd();
    const first = !before || /[.!?]$/.test(before);
    return first ? `${m.split(/\s+/)[0]} ` : ' ';
  });
}

export function prepareForVader(text: string): string {
  let t = dropNames(text);
  for (const [re, word] of EMOJI_WORDS) t = t.replace(re, word);
  return (
    t
      .replace(/&amp;/g, '&')
      .replace(/&gt;/g, '>')
      .replace(/&lt;/g, '<')
      .replace(/&quot;/g, '"')
      .replace(/[’‘]/g, "'")
      .replace(/@\w+/g, ' ')
      // Phrases whose negation or verb VADER would misread: "can't wait" is eagerness, not negation.
      .replace(/\b(?:can'?t|cannot) wait\b|\blooking forward\b/gi, ' excited ')
      // "like" scores as a positive verb even in "looks like", "like an hour"; keep it only after a subject.
      .replace(/\b((?:i|you|we|they|really|do|don't|dont|would|to|u)\s+)?like\b/gi, (m, subj?: string) => (subj ? m : ' as '))
      // A polite request is not praise.
      .replace(/\b(?:please|pls|plz)\b/gi, ' ')
      .replace(/https?:\/\/\S+/g, ' ')
      // "#blessed" → "blessed"; camel-case hashtags split into words.
      .replace(/#(\w+)/g, (_m, tag: string) => ` ${tag.replace(/([a-z])([A-Z])/g, '$1 $2')} `)
      // "soooo goood" → "soo good": VADER's lexicon only has the normal spelling.
      .replace(/(\p{L})\1{2,}/gu, '$1$1')
      .replace(/\b(?:ha){2,}h?\b|\blo+l\b|\blmao\b|\blmfao\b|\brofl\b/gi, ' haha ')
      .replace(EXTRA_POSITIVE, (m) => ` ${m} good `)
      .replace(EXTRA_NEGATIVE, (m) => ` ${m} bad `)
  );
}

const EMOTICONS = /(?:^|\s)([:;=8][-'^o]?[)(\][dDpP/\\|*3]+|<3+)(?=\s|$|[.,!?])/g;
const EMOJI = /\p{Extended_Pictographic}/gu;

/**
 * VADER's lexicon is English; on other languages its hits are false friends ("die", "favor"), so only
 * emoji and emoticons are scored there.
 */
export function symbolsOnly(text: string): string {
  const symbols = [...text.matchAll(EMOTICONS)].map((m) => m[1]).concat(text.match(EMOJI) ?? []);
  return symbols.join(' ');
}
