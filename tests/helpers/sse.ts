// A GraphQL subscription over SSE (GraphQL over SSE, distinct connections mode), as a client would
// open one: the `next` payloads are collected as they arrive, `done` settles on `complete` or close.
/** A subscription's payloads so far, whatever the transport. */
export interface Stream<T = any> {
  items: T[];
  done: Promise<void>;
  close(): void;
}

export type SseStream<T = any> = Stream<T> & { status: number };

export async function sse(
  baseUrl: string,
  apiKey: string | undefined,
  query: string,
  variables?: Record<string, unknown>,
): Promise<SseStream> {
  const abort = new AbortController();
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream', ...(apiKey ? { Authorization: `Bearer ${apiKey}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: abort.signal,
  });
  const items: any[] = [];
  const done = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event === 'next' && data) items.push(JSON.parse(data));
          if (event === 'complete') return;
        }
      }
    } catch {
      // aborted
    }
  })();
  return { status: res.status, items, done, close: () => abort.abort() };
}
