import { describe, expect, it } from 'vitest';

import { summarizeLocally } from '../../src/modules/summaries/local/index.js';

const chat = `Tom: Hi Anna, did you get a chance to look at the pricing for the enterprise plan?
Anna: Yes, I did. The pricing looks a bit high for our budget though.
Tom: I understand. Could you send me the budget numbers so I can check with finance?
Anna: Sure, I'll send the budget numbers tomorrow morning.
Tom: Great. Let's schedule a demo with your team next week.
Anna: Sounds good, I'll invite Mark and Julia to the demo.`;

const whatsapp = `12/01/2024, 10:15 - Tom: hi, are we still on for dinner tonight?
12/01/2024, 10:16 - Messages and calls are end-to-end encrypted.
12/01/2024, 10:17 - Sara: yes! I booked a table at Luigi's for 8pm
12/01/2024, 10:18 - Tom: perfect, I'll pick you up at 7:30
12/01/2024, 10:20 - Sara: <Media omitted>`;

const email = `From: Laura Smith <laura@acme.com>
Sent: Monday, March 4, 2024 9:12 AM
To: Peter Jones
Subject: Re: Contract renewal

Hi Peter,

Thanks for the update. Unfortunately the delivery was late again and the invoice is wrong.
Please send a corrected invoice by Friday. I will review the renewal terms with our legal team this week.

Best regards,
Laura

On Fri, Mar 1, 2024 at 5:00 PM Peter Jones <peter@vendor.com> wrote:
> Hi Laura, the shipment of bananas is on its way and the warehouse in Rotterdam confirmed it.
> Cheers, Peter`;

describe('summarizeLocally', () => {
  it('summarizes a chat transcript in the third person, naming the participants', () => {
    const r = summarizeLocally({ content: chat });
    expect(r.content).toContain('Anna');
    expect(r.content).toMatch(/Anna will send the budget numbers tomorrow/);
    expect(r.content).not.toMatch(/\bI'll\b|\bI\b/);
    expect(r.actionItems).toContain('Anna to send the budget numbers tomorrow morning');
    expect(r.actionItems.some((a) => /^Schedule a demo/.test(a))).toBe(true);
    expect(r.topics).toContain('budget numbers');
    expect(r.language).toBe('en');
    expect(r.title.length).toBeGreaterThan(0);
  });

  it('parses WhatsApp export lines and skips system messages', () => {
    const r = summarizeLocally({ content: whatsapp, source: 'whatsapp' });
    expect(r.content).toContain('Sara booked a table');
    expect(r.content).not.toMatch(/encrypted|Media omitted|\d{2}\/\d{2}\/\d{4}/);
    expect(r.actionItems).toContain('Tom to pick Sara up at 7:30');
  });

  it('ignores quoted history, headers and signatures in an email thread', () => {
    const r = summarizeLocally({ content: email, source: 'email' });
    const everything = [r.content, r.title, ...r.topics, ...r.actionItems].join(' ');
    expect(everything).not.toMatch(/banana|Rotterdam|warehouse|shipment/i);
    expect(everything).not.toMatch(/Subject:|Sent:|Best regards/);
    expect(r.actionItems).toContain('Peter to send a corrected invoice by Friday');
    expect(r.sentiment).toBe('negative');
  });

  it('detects negative and positive sentiment', () => {
    const negative = summarizeLocally({
      content: 'Mike: The delivery is late again and nobody answers my emails. This is terrible service.\nJo: Sorry, that is really bad.',
    });
    const positive = summarizeLocally({
      content: 'Mike: The demo went great, the client loved it!\nJo: Awesome, thanks for the amazing work :)',
    });
    expect(negative.sentiment).toBe('negative');
    expect(positive.sentiment).toBe('positive');
    expect(summarizeLocally({ content: 'The meeting is at 10 in room 4.' }).sentiment).toBe('neutral');
  });

  it('returns at most 8 short lowercase topics', () => {
    const long = Array.from(
      { length: 30 },
      (_, i) =>
        `${i % 2 ? 'Ann' : 'Bob'}: we discussed the ${['roadmap', 'hiring plan', 'office move', 'budget review', 'customer churn', 'pricing page', 'security audit', 'release train', 'marketing launch', 'support backlog'][i % 10]} again`,
    ).join('\n');
    const r = summarizeLocally({ content: long });
    expect(r.topics.length).toBeGreaterThan(0);
    expect(r.topics.length).toBeLessThanOrEqual(8);
    for (const t of r.topics) {
      expect(t).toBe(t.toLowerCase());
      expect(t.split(' ').length).toBeLessThanOrEqual(3);
    }
  });

  it('is deterministic', () => {
    expect(summarizeLocally({ content: chat, style: 'detailed' })).toEqual(summarizeLocally({ content: chat, style: 'detailed' }));
  });

  it('honours the style', () => {
    const bullets = summarizeLocally({ content: chat, style: 'bullet_points' }).content;
    expect(bullets.split('\n').every((l) => l.startsWith('- '))).toBe(true);
    const concise = summarizeLocally({ content: chat, style: 'concise' }).content;
    const detailed = summarizeLocally({ content: chat, style: 'detailed' }).content;
    expect(detailed.length).toBeGreaterThan(concise.length);
  });

  it('does not throw on empty or very short content', () => {
    for (const content of ['', ' ', 'ok', '?!', 'Tom:', '> quoted only']) {
      const r = summarizeLocally({ content });
      expect(typeof r.content).toBe('string');
      expect(r.topics.length).toBeLessThanOrEqual(8);
      expect(r.language).toMatch(/^[a-z]{2}$/);
    }
  });

  it('detects non-English languages', () => {
    const es = summarizeLocally({
      content:
        'Hola equipo, mañana tenemos la reunión con el cliente para revisar el presupuesto. Por favor, envíen sus comentarios antes de las diez.',
    });
    expect(es.language).toBe('es');
    expect(es.topics).not.toContain('de');
    const de = summarizeLocally({
      content: 'Anna: Hallo Tom, kannst du mir bitte die Preisliste schicken?\nTom: Ja klar, ich schicke sie dir morgen früh.',
    });
    expect(de.language).toBe('de');
    expect(de.sentiment).toBe('neutral');
  });

  it('keeps free-form meeting notes and their action lines', () => {
    const r = summarizeLocally({
      content:
        'Weekly marketing sync\n- Budget for paid social approved\n- Action: Maria to finalize the landing page copy\n- Ben will share the analytics report by Thursday',
    });
    expect(r.title).toBe('Weekly marketing sync');
    expect(r.actionItems).toContain('Maria to finalize the landing page copy');
    expect(r.actionItems).toContain('Ben to share the analytics report by Thursday');
  });
});
