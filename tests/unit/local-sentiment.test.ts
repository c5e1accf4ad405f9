// The local sentiment model and how a conversation's sentiment is aggregated from its turns
// (src/modules/summaries/local/sentiment.ts; docs/jobs.md "Sentiment").
import { describe, expect, it } from 'vitest';

import { summarizeLocally } from '../../src/modules/summaries/local/index.js';
import { aggregateSentiment, detectSentiment, MAX_UNITS, STRONG_NEGATIVE } from '../../src/modules/summaries/local/sentiment.js';
import { polarityTokens } from '../../src/modules/summaries/local/sentiment-features.js';
import { argmaxClass, textProbabilities } from '../../src/modules/summaries/local/sentiment-model.js';

const NEG = [0.8, 0.15, 0.05];
const NEU = [0.1, 0.8, 0.1];
const POS = [0.05, 0.15, 0.8];
const MILD_NEG = [0.55, 0.25, 0.2];
const WEAK_NEU = [0.25, 0.5, 0.25];

describe('polarityTokens', () => {
  it('marks the words after a negator up to the next punctuation', () => {
    expect(polarityTokens("This isn't good at all, but fine.")).toEqual(['this', "isn't", 'not_good', 'not_at', 'not_all', 'but', 'fine']);
    expect(polarityTokens('Not bad!')).toEqual(['not', 'not_bad']);
  });
});

describe('textProbabilities', () => {
  it('gives a probability per class that sums to 1, and classifies clear cases', () => {
    const p = textProbabilities('This is the worst service ever, I am so angry');
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(argmaxClass(p)).toBe('negative');
    expect(argmaxClass(textProbabilities('Thank you so much, this is wonderful! 😍'))).toBe('positive');
    expect(argmaxClass(textProbabilities('The meeting is at 10 in room 4.'))).toBe('neutral');
  });

  it('is neutral for empty text and for a non-English text without emoji', () => {
    expect(textProbabilities('   ')).toEqual([0, 1, 0]);
    expect(textProbabilities('Die Besprechung ist morgen um zehn.', false)).toEqual([0, 1, 0]);
  });
});

describe('aggregateSentiment', () => {
  it('is neutral without any turn', () => {
    expect(aggregateSentiment([])).toBe('neutral');
  });

  it('lets a strongly negative last turn decide, whatever came before', () => {
    expect(aggregateSentiment([POS, POS, POS, POS, NEG])).toBe('negative');
    expect(aggregateSentiment([POS, POS, POS, NEG, NEU])).toBe('negative');
  });

  it('does not apply the rule to a strongly negative turn earlier in the conversation', () => {
    expect(aggregateSentiment([NEG, POS, POS, POS, POS])).toBe('positive');
  });

  it('applies the rule only from the STRONG_NEGATIVE probability on', () => {
    const justBelow = [STRONG_NEGATIVE - 0.01, 0, 1 - STRONG_NEGATIVE + 0.01];
    const atThreshold = [STRONG_NEGATIVE, 0, 1 - STRONG_NEGATIVE];
    expect(aggregateSentiment([POS, POS, POS, justBelow])).toBe('positive');
    expect(aggregateSentiment([POS, POS, POS, atThreshold])).toBe('negative');
  });

  it('weighs later turns more than earlier ones', () => {
    // Same turns, opposite order: the mild negative counts more at the end than at the start.
    const early = [MILD_NEG, MILD_NEG, WEAK_NEU, WEAK_NEU];
    expect(aggregateSentiment(early)).toBe('neutral');
    expect(aggregateSentiment([...early].reverse())).toBe('negative');
  });
});

describe('detectSentiment on conversations', () => {
  const friendly = [
    'Hi, I ordered the blue jacket last week and wanted to ask about the delivery.',
    'Hello! Thanks for reaching out, happy to help. Could you give me your order number?',
    'Sure, it is 48213. Thanks a lot for the quick answer!',
    'Great, I can see it. It should arrive on Thursday.',
  ];

  it('is not negative for a friendly support chat', () => {
    expect(detectSentiment(friendly, friendly.join('\n'))).not.toBe('negative');
  });

  it("turns negative when the customer's last message is angry", () => {
    const turns = [...friendly, 'Thursday?! This is ridiculous, it was promised for Monday. Worst service ever, I want a refund.'];
    expect(detectSentiment(turns, turns.join('\n'))).toBe('negative');
  });

  it('only scores the last MAX_UNITS turns of a long thread', () => {
    const angry = 'This is terrible, I hate it, worst experience ever!';
    const calm = 'We will meet at the office at 10 and go through the agenda.';
    const turns = [...Array(5).fill(angry), ...Array(MAX_UNITS).fill(calm)];
    expect(detectSentiment(turns, turns.join('\n'))).toBe('neutral');
  });

  it('is what the summary reports for a transcript', () => {
    const transcript = [
      'Customer: Hi, my package still has not arrived.',
      'Agent: Sorry to hear that, let me check the tracking for you.',
      'Agent: It shows as delivered yesterday at 3 pm.',
      'Customer: It was NOT delivered. This is the third time, I am furious and I want my money back now!',
    ].join('\n');
    expect(summarizeLocally({ content: transcript }).sentiment).toBe('negative');
  });
});
