// Turns raw input (chat transcript, WhatsApp export, email thread or free notes) into speaker turns.
import { normalizeSpace } from './text.js';

export interface Turn {
  speaker?: string;
  text: string;
}

export type ConversationKind = 'chat' | 'email' | 'notes';

export interface ParsedConversation {
  kind: ConversationKind;
  turns: Turn[];
  participants: string[];
  /** People greeted or addressed in emails ("Hi Anna,"); they take part even if they never write. */
  addressees: string[];
}

const WHATSAPP_LINE = /^\[?(\d{1,4}[./-]\d{1,2}[./-]\d{1,4}),?\s+(\d{1,2}:\d{2}(?::\d{2})?(?:\s?[APap]\.?[Mm]\.?)?)\]?\s*[-–:]?\s*(.*)$/;
// A speaker label: up to four words, or DialogSum-style "#Person1#".
const SPEAKER_LINE = /^\s*(#[\w ]{1,20}#|[\p{L}][\p{L}\p{N}'’._-]*(?:\s[\p{L}\p{N}'’._-]+){0,3})\s*:\s?(.*)$/u;
// Labels that look like "Name:" but are structure of notes or emails.
const NOT_A_SPEAKER = new Set(
  (
    'from to cc bcc subject sent date re fw fwd note notes todo to do action actions action items next steps ' +
    'agenda attendees participants summary decision decisions update updates status question questions answer ' +
    'important ps p.s time location where when http https mailto tel phone email e-mail fax mobile address ' +
    'attachment attachments reminder goal goals risk risks issue issues'
  ).split(' '),
);

const MEDIA =
  /^(?:<media omitted>|<attached:[^>]*>|image omitted|video omitted|audio omitted|sticker omitted|this message was deleted|you deleted this message|<file\b[^>]*>|file_gif|file_photo|file_other|file_video)$/i;

function cleanSpeaker(raw: string): string {
  return normalizeSpace(raw.replace(/^[~\u202a\u202c\u200e]+/, '').replace(/[\u202a\u202c\u200e]/g, ''));
}

function isSpeakerLabel(label: string): boolean {
  const lower = label.toLowerCase();
  if (NOT_A_SPEAKER.has(lower)) return false;
  if (label.startsWith('#')) return true;
  if (/^\d/.test(label)) return false;
  // Names are capitalised in transcripts; lowercase labels are usually prose ("the plan: ...").
  return /^[\p{Lu}]/u.test(label) || /^[+]?\d[\d\s-]+$/.test(label);
}

function looksLikeEmail(lines: string[]): boolean {
  let score = 0;
  for (const l of lines) {
    if (/^\s*(?:from|sent|to|cc|subject|date)\s*:/i.test(l)) score += 2;
    else if (/^\s*>/.test(l)) score += 1;
    else if (/^on .{4,120} wrote:\s*$/i.test(l.trim())) score += 3;
    else if (/^-{2,}\s*(?:original message|forwarded message)/i.test(l.trim())) score += 3;
  }
  return score >= 3;
}

const SIGN_OFF =
  /^(?:best(?: regards| wishes)?|kind regards|warm regards|regards|cheers|thanks(?: again| a lot)?|thank you|many thanks|sincerely|yours(?: truly| sincerely)?|br|talk soon|speak soon|all the best|saludos|un saludo|atentamente|gracias|viele grüße|mit freundlichen grüßen|lg|cordialement|bien à vous|merci)[,!.]?\s*$/i;
const GREETING =
  /^(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|hola|hallo|bonjour|ciao)\s+([\p{Lu}][\p{L}'’-]+(?:\s(?:and|&)\s[\p{Lu}][\p{L}'’-]+)?)\s*[,!:]?\s*$/iu;

/** Email bodies: headers name the author, quoted history and signatures are dropped. */
function parseEmail(lines: string[]): ParsedConversation {
  const turns: Turn[] = [];
  const addressees: string[] = [];
  let author: string | undefined;
  let body: string[] = [];
  let inHeaders = false;
  let skipping = false; // after "-----Original Message-----" or "On ... wrote:" everything is history

  const flush = () => {
    // A signature block: cut at the sign-off, the name line after it tells us the author.
    let end = body.length;
    for (let i = 0; i < body.length; i++) {
      const t = body[i]!.trim();
      if (t === '--' || t === '-- ' || /^sent from my /i.test(t)) {
        end = i;
        break;
      }
      if (SIGN_OFF.test(t) && i >= body.length - 6) {
        const next = body
          .slice(i + 1)
          .find((x) => x.trim())
          ?.trim();
        if (!author && next && /^[\p{Lu}][\p{L}'’-]+(?:\s[\p{Lu}][\p{L}'’-]+)?$/u.test(next)) author = next;
        end = i;
        break;
      }
    }
    const kept = body.slice(0, end).filter((l) => {
      const g = GREETING.exec(l.trim());
      if (g) {
        for (const n of g[1]!.split(/\s(?:and|&)\s/)) addressees.push(n);
        return false;
      }
      return true;
    });
    const text = kept.join('\n').trim();
    if (text) turns.push({ speaker: author, text });
    body = [];
    author = undefined;
  };

  for (const line of lines) {
    const t = line.trim();
    if (/^>/.test(t)) continue;
    if (/^-{2,}\s*(?:original message|forwarded message)/i.test(t) || /^on .{4,160}wrote:\s*$/i.test(t) || /^_{8,}$/.test(t)) {
      flush();
      skipping = true;
      continue;
    }
    const header = /^(from|sent|to|cc|bcc|subject|date)\s*:\s*(.*)$/i.exec(t);
    if (header) {
      if (header[1]!.toLowerCase() === 'from') {
        if (!inHeaders) flush();
        skipping = false;
        const m = /^"?([^"<@]+?)"?\s*(?:<[^>]*>)?$/.exec(header[2]!.trim());
        author = m ? normalizeSpace(m[1]!) : undefined;
      }
      inHeaders = true;
      continue;
    }
    if (inHeaders && t === '') {
      inHeaders = false;
      continue;
    }
    inHeaders = false;
    if (!skipping) body.push(line);
  }
  flush();
  const participants = [...new Set(turns.map((t) => t.speaker).filter((s): s is string => !!s))];
  return { kind: 'email', turns, participants, addressees: [...new Set(addressees)] };
}

export function parseConversation(content: string, source?: string): ParsedConversation {
  const lines = content.replace(/\r\n?/g, '\n').split('\n');
  if (source === 'email' || (source !== 'whatsapp' && looksLikeEmail(lines))) return parseEmail(lines);

  const turns: Turn[] = [];
  let labelled = 0;
  let nonEmpty = 0;
  let current: Turn | undefined;
  for (const raw of lines) {
    let line = raw.replace(/[\u200e\u200f\u202a-\u202e]/g, '');
    if (!line.trim()) continue;
    nonEmpty++;
    const wa = WHATSAPP_LINE.exec(line.trim());
    if (wa) line = wa[3]!;
    const m = SPEAKER_LINE.exec(line);
    if (m && isSpeakerLabel(cleanSpeaker(m[1]!))) {
      labelled++;
      const text = m[2]!.trim();
      current = { speaker: cleanSpeaker(m[1]!), text: MEDIA.test(text) ? '' : text };
      turns.push(current);
    } else if (wa) {
      current = undefined; // WhatsApp system message ("Tom joined", "Messages are end-to-end encrypted")
    } else if (current) {
      current.text += `\n${line.trim()}`;
    } else {
      current = { text: line.trim() };
      turns.push(current);
    }
  }
  const speakers = new Set(turns.map((t) => t.speaker).filter(Boolean));
  if (labelled >= 2 && labelled * 2 >= nonEmpty * 0.8 && speakers.size >= 1) {
    const chatTurns = turns.filter((t) => t.speaker && t.text.trim());
    return { kind: 'chat', turns: chatTurns, participants: [...speakers] as string[], addressees: [] };
  }
  // Free-form notes: no speakers, keep lines as they are.
  const noteTurns = lines
    .map((l) => l.trim())
    .filter(Boolean)
    .map((text) => ({ text }));
  return { kind: 'notes', turns: noteTurns, participants: [], addressees: [] };
}
