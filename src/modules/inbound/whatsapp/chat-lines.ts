// How WhatsApp messages read inside a conversation's content: one line per message,
// `[2024-01-12 09:15:03] Anna: text`, times in UTC, continuation lines of a multi-line message below it.
// The local summarizer reads this as a chat (speaker turns), as it reads WhatsApp's own exports.

export interface ChatMessage {
  at: Date;
  author: string;
  text: string;
}

const pad = (n: number) => String(n).padStart(2, '0');

export function chatTime(at: Date): string {
  return `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())} ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}`;
}

export function chatLine(m: ChatMessage): string {
  const text = m.text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u200e\u200f]/g, '')
    .trim();
  return `[${chatTime(m.at)}] ${m.author.replace(/[\r\n:]+/g, ' ').trim() || 'Unknown'}: ${text}`;
}

export function chatLines(messages: ChatMessage[]): string {
  return messages.map(chatLine).join('\n');
}
