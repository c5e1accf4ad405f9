// Pure text rules for inbound email: subjects without reply/forward prefixes, and reply bodies without
// the quoted history and signature that mail clients append (unit-tested in tests/unit/inbound-email-text.test.ts).

// Re, Fwd, Fw, AW (Antwort), WG (Weitergeleitet), SV/VS (Nordic), Antw, TR/RV/Enc (fr/es/pt), Réf; optionally
// numbered ("Re[2]:", "RE(3):"), repeated in any mix and case: "Re: AW: Fwd: Re: offer" → "offer".
const PREFIX = /^\s*(?:re|fwd?|aw|wg|sv|vs|antw|tr|rv|enc|réf|ref)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*/i;
const REPLY_PREFIX = /^\s*(?:re|aw|sv|antw|réf|ref)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]/i;

export function cleanSubject(subject: string | undefined | null): string {
  let s = (subject ?? '').replace(/\s+/g, ' ').trim();
  for (let prev = ''; prev !== s; ) {
    prev = s;
    s = s.replace(PREFIX, '').trim();
  }
  return s;
}

export function subjectLooksLikeReply(subject: string | undefined | null): boolean {
  return REPLY_PREFIX.test(subject ?? '');
}

/** Line endings, trailing spaces, runs of blank lines, zero-width characters. */
export function normalizeText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u200b\u200c\u200d\ufeff]/g, '')
    .split('\n')
    .map((l) => l.replace(/[ \t\u00a0]+$/, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

// "On Tue, 2 Jan 2024 at 10:00, Anna <a@b.c> wrote:" and its translations; clients wrap it over two or three lines.
const ATTRIBUTION_START = /^(?:on|am|le|el|op|il|em|den|på)\s/i;
// The verb may come before the name ("schrieb Anna <a@b.de>:").
const ATTRIBUTION_END = /(?:wrote|schrieb|a écrit|escribió|schreef|ha scritto|escreveu|skrev)(?:\s.{0,200})?\s*:\s*$/i;
const ORIGINAL_MESSAGE =
  /^-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|mensaje original|oorspronkelijk bericht|messaggio originale)\s*-{2,}\s*$/i;
const RULE = /^_{10,}\s*$/;
const HEADER_FROM = /^\*?(?:from|von|de|van|da)\s*:\*?\s*\S/i;
const HEADER_OTHER =
  /^\*?(?:sent|date|to|subject|gesendet|datum|an|betreff|envoyé|à|objet|enviado|para|asunto|verzonden|aan|onderwerp)\s*:/i;
const SIGNATURE = /^--\s?$/;
const SENT_FROM = /^(?:sent from my |sent from (?:outlook|mail|yahoo)|get outlook for |von meinem .* gesendet|envoyé de mon )/i;

/** Index of the first line of quoted history, or -1. */
function historyStart(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.trim();
    if (ORIGINAL_MESSAGE.test(t)) return i;
    if (ATTRIBUTION_START.test(t)) {
      // The attribution may wrap: look at most three lines ahead for its "wrote:".
      const joined = [t, lines[i + 1]?.trim() ?? '', lines[i + 2]?.trim() ?? ''];
      for (let k = 0; k < 3; k++) {
        if (ATTRIBUTION_END.test(joined.slice(0, k + 1).join(' ')) && joined.slice(0, k + 1).join(' ').length <= 400) return i;
      }
    }
    // Outlook: "From: …" followed closely by "Sent:/Date:/To:/Subject:" (maybe after a rule line).
    if (HEADER_FROM.test(t)) {
      const next = lines.slice(i + 1, i + 5).filter((l) => HEADER_OTHER.test(l.trim())).length;
      if (next >= 2) return i > 0 && RULE.test(lines[i - 1]!.trim()) ? i - 1 : i;
    }
  }
  return -1;
}

/**
 * The new part of a reply: quoted history (attribution lines, "Original Message" blocks, Outlook header
 * blocks, `>` lines) and the signature (`-- ` delimiter, "Sent from my …") are cut. If that leaves
 * nothing, the whole text is kept — better a repeated quote than an empty message.
 */
export function trimReply(text: string): string {
  const normal = normalizeText(text);
  let lines = normal.split('\n');
  const cut = historyStart(lines);
  if (cut >= 0) lines = lines.slice(0, cut);
  lines = lines.filter((l) => !/^\s*>/.test(l));
  const sig = lines.findIndex((l) => SIGNATURE.test(l) || SENT_FROM.test(l.trim()));
  if (sig >= 0) lines = lines.slice(0, sig);
  const out = normalizeText(lines.join('\n'));
  return out || normal;
}
