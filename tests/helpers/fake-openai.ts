// A small OpenAI-compatible chat-completions server for tests. What it answers is scripted by a
// marker in the conversation text, `[[script:ID:429,ok]]`: one step per request carrying that marker,
// the last step repeating. Steps: ok, 429, 500, 400, malformed, hang, hold (answers ok when released).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  at: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
  script: string;
}

export const GOOD_OUTPUT = {
  title: 'Pricing sheet request',
  content: 'Tom asked Anna for the pricing sheet, and Anna promised to send it tomorrow.',
  sentiment: 'positive',
  topics: ['Pricing Sheet', 'demo'],
  action_items: ['Anna to send the pricing sheet'],
  language: 'en',
};

export async function startFakeOpenAi() {
  const requests: RecordedRequest[] = [];
  const counters = new Map<string, number>();
  const held = new Map<string, () => void>();
  const server = http.createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
    const text = JSON.stringify(body?.messages ?? '');
    const marker = /\[\[script:(\w+):([\w,]+)\]\]/.exec(text);
    const script = marker?.[1] ?? 'default';
    requests.push({ at: Date.now(), path: req.url ?? '', headers: req.headers, body, script });
    const n = counters.get(script) ?? 0;
    counters.set(script, n + 1);
    const steps = (marker?.[2] ?? 'ok').split(',');
    const step = steps[Math.min(n, steps.length - 1)];
    const json = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify(payload));
    };
    const completion = (content: string) =>
      json(200, {
        id: `chatcmpl-${n}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body?.model,
        choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
      });
    switch (step) {
      case 'ok':
        return completion(JSON.stringify(GOOD_OUTPUT));
      case '429':
        return json(429, { error: { message: 'Rate limit reached', type: 'rate_limit_error' } }, { 'Retry-After': '1' });
      case '500':
        return json(500, { error: { message: 'The server had an error', type: 'server_error' } });
      case '400':
        return json(400, { error: { message: 'Invalid model', type: 'invalid_request_error' } });
      case 'malformed':
        return completion('{"title": "Pricing", "content": ');
      case 'hang':
        return; // never answers
      case 'hold':
        held.set(script, () => completion(JSON.stringify({ ...GOOD_OUTPUT, content: 'Held summary of the first version.' })));
        return;
      default:
        return json(500, { error: { message: `unknown step ${step}` } });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    requestsFor: (script: string) => requests.filter((r) => r.script === script),
    release: (script: string) => {
      const answer = held.get(script);
      held.delete(script);
      answer?.();
      return !!answer;
    },
    isHeld: (script: string) => held.has(script),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
