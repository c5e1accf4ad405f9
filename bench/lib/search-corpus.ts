// A search corpus for the benchmark, generated in SQL with one set-based INSERT per account (the
// triggers build each row's tsvector, so the INSERT's rate is the indexing throughput).
//
// bench/lib/seed.ts repeats 100 chat lines, so every conversation holds nearly every word: fine for the
// list bench, useless for search. Here each conversation draws three theme words from a vocabulary
// ordered by frequency (skewed: the first words are themes of ~1 in 6 conversations, the tail of ~1 in
// 200), and each chat line is a template whose slots take a theme word, a generic filler word, a name or
// a near-unique order number. Searches then meet what a real inbox has: words in most conversations
// (filler, names), in a few percent (themes), in a handful (order numbers).
import type { Database } from '../../src/lib/db.js';

const NAMES = [
  'Tom',
  'Anna',
  'Maria',
  'John',
  'Priya',
  'Lukas',
  'Chen',
  'Sofia',
  'Omar',
  'Grace',
  'Kenji',
  'Fatima',
  'Diego',
  'Olga',
  'Noah',
  'Amara',
  'Pierre',
  'Ingrid',
  'Ravi',
  'Leila',
];

/** Most frequent first. */
export const VOCABULARY = `invoice contract pricing delivery refund meeting budget report order account payment discount
  schedule proposal renewal onboarding roadmap support ticket password login upgrade subscription shipment warehouse
  deadline review feedback demo training migration integration dashboard export import analytics license quote tender
  audit compliance security backup outage latency database server firewall certificate encryption warranty repair
  replacement return exchange coupon voucher loyalty newsletter campaign webinar conference workshop hackathon
  recruitment interview salary bonus vacation relocation visa passport insurance mortgage pension dividend merger
  acquisition partnership sponsorship franchise patent trademark lawsuit arbitration settlement escrow collateral
  Acme Globex Initech Umbrella Hooli Stark Wayne Wonka Soylent Cyberdyne Tyrell Aperture Massive Vandelay Pied Piper
  Berlin Lisbon Nairobi Osaka Toronto Bogota Warsaw Dublin Mumbai Santiago Helsinki Auckland Reykjavik Marrakesh
  spreadsheet invoice-template chargeback reconciliation procurement onboarding-checklist retrospective standup sprint
  kubernetes terraform postgres redis kafka graphql webhook oauth saml sso ldap okta zapier salesforce hubspot jira
  forklift pallet courier customs tariff incoterms freight container manifest consignment bill-of-lading
  allergy gluten vegan catering banquet sommelier florist chandelier marquee photographer choreographer
  veterinarian orthodontist physiotherapist dermatologist radiology prescription pharmacy anesthesia
  carburetor alternator camshaft windshield upholstery hydraulics turbocharger differential
  saxophone harpsichord theremin didgeridoo xylophone accordion mandolin
  quokka axolotl pangolin narwhal okapi capybara platypus
  zeppelin gondola funicular hovercraft catamaran trebuchet`
  .split(/\s+/)
  .filter(Boolean);

const FILLER = [
  'file',
  'document',
  'numbers',
  'update',
  'plan',
  'figures',
  'details',
  'issue',
  'request',
  'notes',
  'changes',
  'slides',
  'draft',
  'list',
  'email',
  'form',
  'agreement',
  'estimate',
  'call',
  'spreadsheet',
];

/** [template, slot class of %1, slot class of %2]: w = vocabulary word, n = name, o = order number. */
const TEMPLATES: [string, string, string][] = [
  ['did you get a chance to look at the %1 I sent over about %2?', 'w', 'w'],
  ['the %1 for %2 is still pending, finance has not approved it yet.', 'w', 'w'],
  ['could you ask %1 to send the updated %2 by Friday?', 'n', 'w'],
  ['order %1 was delayed again, the customer wants a %2.', 'o', 'w'],
  ['thanks, I will forward the %1 to %2 this afternoon.', 'w', 'n'],
  ["we can't close the %1 until the %2 is signed off.", 'w', 'w'],
  ['quick update: the %1 call moved to Thursday, %2 will join.', 'w', 'n'],
  ['I am not happy with the %1, we have been waiting two weeks for the %2.', 'w', 'w'],
  ['%1 mentioned a problem with the %2 last night.', 'n', 'w'],
  ['sure, I will check the %1 and get back to you about %2.', 'w', 'w'],
  ['please reference %1 in your reply so we can find the %2.', 'o', 'w'],
  ['great news, the %1 with %2 went through!', 'w', 'w'],
  ["let's schedule a call next week to go through the %1 and the %2.", 'w', 'w'],
  ['can you share the link to the %1? %2 could not open it.', 'w', 'n'],
  ['ok, noted. I will update the %1 before the %2.', 'w', 'w'],
  ['hi %1, any news on the %2?', 'n', 'w'],
];
const TITLE_TEMPLATES = ['%1 follow-up', 'Question about %1', '%1 and %2', 'Re: %1 for %2', 'Call notes: %1', 'Urgent: %1 issue'];

/** Inserts `count` conversations for the account (ids made unique by `prefix`); returns the elapsed ms. */
export async function seedSearchCorpus(db: Database, accountId: string, count: number, prefix: string): Promise<number> {
  const started = Date.now();
  // Draws hash (conversation, line, slot), so that runs are reproducible. A theme is word
  // floor(N·u²) of the vocabulary: word k is drawn with probability ≈ 1/(2·√(k·N)).
  await db.query(
    `WITH lines AS (
       SELECT i, th.theme, string_agg(
                ($5::text[])[1 + j % cardinality($5::text[])] || ': ' ||
                replace(replace(t.tpl, '%1', slot(t.c1, i, j, 1)), '%2', slot(t.c2, i, j, 2)), E'\\n' ORDER BY j) AS content
         FROM generate_series(1, $3::int) i
        CROSS JOIN LATERAL (SELECT array_agg(($4::text[])[1 + floor(cardinality($4::text[]) *
                  power((abs(hashint8(i * 1031 + k)) % 1000000) / 1e6, 2))::int]) AS theme FROM generate_series(1, 3) k) th
        CROSS JOIN LATERAL generate_series(1, 8 + i % 17) j
        CROSS JOIN LATERAL (SELECT ($6::text[])[1 + abs(hashint8(i * 64 + j)) % cardinality($6::text[])] AS raw) r
        CROSS JOIN LATERAL (SELECT split_part(r.raw, '|', 1) AS tpl, split_part(r.raw, '|', 2) AS c1, split_part(r.raw, '|', 3) AS c2) t
        GROUP BY i, th.theme
     )
     INSERT INTO conversations (id, account_id, title, content, source, status, metadata, created_at, updated_at)
     SELECT $2 || lpad(to_hex(i), 20, '0'), $1,
            replace(replace(($7::text[])[1 + i % cardinality($7::text[])], '%1', initcap(theme[1])), '%2', theme[2]),
            content, (ARRAY['email', 'whatsapp', 'api']::conversation_source[])[1 + i % 3],
            (CASE WHEN i % 10 = 0 THEN 'processing' ELSE 'completed' END)::processing_status,
            jsonb_build_object('channel', 'bench', 'n', i),
            now() - make_interval(secs => i * 30), now() - make_interval(secs => i * 30)
       FROM lines`.replace(
      /slot\(([^,]+), ([^,]+), ([^,]+), (\d)\)/g,
      // A slot: a name, an order number, or (4 in 10) a theme word of the conversation, else filler.
      (_, c, i, j, k) => `(CASE ${c} WHEN 'n' THEN ($5::text[])[1 + abs(hashint8(${i} * 131 + ${j} * 7 + ${k})) % cardinality($5::text[])]
        WHEN 'o' THEN 'ORD-' || (100000 + abs(hashint8(${i} * 977 + ${j})) % 900000)
        ELSE CASE WHEN abs(hashint8(${i} * 313 + ${j} * 11 + ${k})) % 10 < 4 THEN th.theme[1 + abs(hashint8(${i} * 7 + ${j} * 3 + ${k})) % 3]
             ELSE ($8::text[])[1 + abs(hashint8(${i} * 1031 + ${j} * 17 + ${k})) % cardinality($8::text[])] END END)`,
    ),
    [accountId, prefix, count, VOCABULARY, NAMES, TEMPLATES.map((t) => t.join('|')), TITLE_TEMPLATES, FILLER],
  );
  return Date.now() - started;
}
