// A conversation's sentiment through the public REST API: created with POST /v1/conversations,
// summarized by the local summarizer in a BullMQ job, read back as summary.sentiment (docs/jobs.md).
import { describe, expect, it } from 'vitest';
import { eventually, useBullServer } from './helpers/jobs.js';
import { newAccount, type Client } from './helpers/server.js';

const REDIS_DB = 1;
const server = useBullServer(REDIS_DB, 'summary-sentiment');

const OPENING = `Customer: Hi, I ordered the blue jacket last week and wanted to ask about the delivery.
Agent: Hello! Thanks for reaching out, happy to help. Could you give me your order number?
Customer: Sure, it is 48213. Thanks a lot for the quick answer!
Agent: Great, I can see it. It should arrive on Thursday.`;

async function sentimentOf(c: Client, content: string): Promise<string> {
  const res = await c.post('/v1/conversations', { title: 'Delivery question', content });
  expect(res.status, res.text).toBe(201);
  const done = await eventually(
    () => c.get(`/v1/conversations/${res.body.id}`),
    (r) => r.body.status !== 'processing',
  );
  expect(done.body.status).toBe('completed');
  return done.body.summary.sentiment;
}

describe('summary sentiment through REST', () => {
  it("reports a friendly support chat as not negative, and the same chat ending in the customer's anger as negative", async () => {
    const { client } = await newAccount(server);
    expect(await sentimentOf(client, OPENING)).not.toBe('negative');
    const angryEnding = `${OPENING}\nCustomer: Thursday?! This is ridiculous, it was promised for Monday. Worst service ever, I want a refund.`;
    expect(await sentimentOf(client, angryEnding)).toBe('negative');
  });

  it('reports a thankful conversation as positive', async () => {
    const { client } = await newAccount(server);
    const content = `Anna: The demo went great, the client loved it!
Tom: Awesome, thank you so much for the amazing work :)
Anna: Thanks, it was a pleasure working with you on this. 🎉`;
    expect(await sentimentOf(client, content)).toBe('positive');
  });
});
