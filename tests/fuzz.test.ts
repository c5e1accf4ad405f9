// Property-based fuzzing of every /v1 operation, driven by the OpenAPI document the server publishes
// (GET /v1/openapi.json): requests generated from each operation's parameters and body schema — valid ones
// and broken ones (wrong types, missing or unknown fields, oversized or odd-unicode strings, malformed JSON,
// wrong content types and methods, foreign and garbage ids, bad keys). Whatever comes in: never a 5xx, every
// non-2xx is the documented envelope with a code from the reference's table (plus the documented
// additions), and nothing of a second account ever shows. Ids of the second account, used with the first
// account's key, are a 404 on every route that takes an id.
//
// FUZZ_SEED (42) and FUZZ_RUNS (runs per operation and property, 30) fix what is generated; `npm run
// test:fuzz` runs longer. A failure prints the operation, seed and path: FUZZ_SEED=<seed> FUZZ_PATH=<path>
// reproduces it (docs/testing.md).
//
// The requests come from tests/helpers/fuzz-requests.ts (arbitraries from the schemas, and the fetch
// arguments of a case); this file holds the fixtures, the properties and the checks.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../src/lib/errors.js';
import { REST_ROUTES } from '../src/rest/routes.js';
import { uploadFile } from './helpers/files.js';
import { requestArbitraries, toRequest, type Body, type Case, type Operation, type Resource } from './helpers/fuzz-requests.js';
import { dropPrefix, parkedJobsEnv } from './helpers/jobs.js';
import { newAccount, readResponse, startTestServer, type TestServer } from './helpers/server.js';

const SEED = Number(process.env.FUZZ_SEED ?? 42);
const RUNS = Number(process.env.FUZZ_RUNS ?? 30);
const PATH = process.env.FUZZ_PATH;

// The reference's error table, and the codes the README documents beside it (405, 413, 415, quota).
const REFERENCE_CODES = [
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'validation_error',
  'rate_limit_exceeded',
  'internal_error',
  'service_unavailable',
];
const DOCUMENTED_CODES = new Set([
  ...REFERENCE_CODES,
  'method_not_allowed',
  'payload_too_large',
  'unsupported_media_type',
  'storage_quota_exceeded',
]);

type Account = Awaited<ReturnType<typeof newAccount>>;

/**
 * Known-bad inputs kept as regression examples, by operation (`METHOD /path`); each ran first in
 * every run. They are the shrunk counterexamples of the bugs this test found (see docs/testing.md).
 */
const UNTERMINATED: Body = {
  kind: 'raw',
  text: '--x\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nunterminated',
  contentType: 'multipart/form-data; boundary=x',
};
const REGRESSIONS: Record<string, Case[]> = {
  // A query parameter named like an Object.prototype member: 500 (src/rest/inputs.ts used `in` and a plain object).
  'GET /conversations/{id}': [{ kind: 'generated', method: 'GET', params: { id: { value: '@conversation' } }, query: [['toString', '']] }],
  // A trailing slash: our route table matched, Sofa's router did not, and the door answered 500 (src/rest/rest-door.ts).
  'DELETE /api_keys/{id}': [{ kind: 'method', method: 'GET', params: { id: { value: '' } }, query: [] }],
  // A multipart body cut short after the file part began: the request never got an answer (upload-attachment.ts).
  'POST /conversations/{conversation_id}/attachments': [
    { kind: 'generated', method: 'POST', params: { conversation_id: { value: '@conversation' } }, query: [], body: UNTERMINATED },
  ],
  // The same cut-short body failed busboy's part stream with no listener: an uncaught exception (the process would exit).
  'POST /inbound/email': [
    {
      kind: 'generated',
      method: 'POST',
      params: {},
      query: [],
      body: { ...UNTERMINATED, text: (UNTERMINATED.text as string).replace('"file"', '"email"') },
    },
  ],
  'POST /conversations/import/whatsapp': [{ kind: 'generated', method: 'POST', params: {}, query: [], body: UNTERMINATED }],
  // U+0000 in any text (value or metadata key) reached PostgreSQL, which refuses it: 500 (FUZZ_SEED=7 FUZZ_RUNS=150).
  'PATCH /webhooks/{id}': [
    {
      kind: 'generated',
      method: 'PATCH',
      params: { id: { value: '@webhook' } },
      query: [],
      body: { kind: 'json', value: { description: '\u0000' } },
    },
  ],
  'POST /conversations': [
    { kind: 'generated', method: 'POST', params: {}, query: [], body: { kind: 'json', value: { title: 'a\u0000b', content: 'Tom: hi' } } },
    {
      kind: 'generated',
      method: 'POST',
      params: {},
      query: [],
      body: { kind: 'json', value: { title: 'a', content: 'Tom: hi', metadata: { 'k\u0000': 1 } } },
    },
  ],
  'GET /conversations': [{ kind: 'generated', method: 'GET', params: {}, query: [['search', 'a\u0000']] }],
};

let server: TestServer;
let doc: Record<string, any>;
let requests: ReturnType<typeof requestArbitraries>;
let a: Account;
let b: Account;
const parked = parkedJobsEnv();
const own: Record<Resource, string[]> = {
  conversation: [],
  summary: [],
  apiKey: [],
  webhook: [],
  attachment: [],
  export: [],
  oauthClient: [],
};
const foreign: Record<Resource, string[]> = {
  conversation: [],
  summary: [],
  apiKey: [],
  webhook: [],
  attachment: [],
  export: [],
  oauthClient: [],
};
/** Strings of account B that must never appear in an answer to account A. */
let secretsOfB: string[] = [];
const MARKER_B = `zebrafjord${Math.random().toString(36).slice(2, 8)}`;

async function makeResources(acc: Account, into: Record<Resource, string[]>, word: string) {
  const c = acc.client;
  for (let i = 0; i < 3; i++) {
    const conv = await c.post('/v1/conversations', {
      title: `${word} plan ${i}`,
      content: `Tom: the ${word} pricing sheet\nAnna: sure, tomorrow.`,
      metadata: { word },
    });
    into.conversation.push(conv.body.id);
  }
  into.summary.push((await c.post(`/v1/conversations/${into.conversation[0]}/summaries`, {})).body.id);
  into.apiKey.push((await c.post('/v1/api_keys', { name: `${word} spare` })).body.id);
  into.oauthClient.push((await c.post('/v1/oauth/clients', { name: `${word} app`, grant_types: ['client_credentials'] })).body.id);
  const hook = await c.post('/v1/webhooks', { url: 'https://93.184.215.14/hook', events: ['export.failed'], description: word });
  into.webhook.push(hook.body.id);
  into.export.push((await c.post('/v1/exports', { format: 'json' })).body.id);
  into.attachment.push(
    (await uploadFile(server.url, acc.api_key, into.conversation[0], { file: { bytes: `${word} file`, name: `${word}.txt` } })).body.id,
  );
  for (const [k, v] of Object.entries(into)) expect(v.every(Boolean), `fixture ${k}`).toBe(true);
  return hook.body.secret as string;
}

beforeAll(async () => {
  server = await startTestServer(parked);
  doc = await (await fetch(`${server.url}/v1/openapi.json`)).json();
  requests = requestArbitraries(doc, MARKER_B);
  a = await newAccount(server, 'pro');
  b = await newAccount(server, 'pro');
  await makeResources(a, own, 'alpha');
  const secret = await makeResources(b, foreign, MARKER_B);
  secretsOfB = [MARKER_B, b.account.id, b.account.email, b.api_key, secret, ...Object.values(foreign).flat()];
});
afterAll(async () => {
  if (process.env.FUZZ_STATS) for (const [k, v] of stats) console.log(`${k.padEnd(55)} ${JSON.stringify(v)}`);
  await server?.stop();
  await dropPrefix(15, parked.QUEUE_PREFIX);
});

// ---- sending and checking ---------------------------------------------------------------------------

async function send(o: Operation, c: Case, key: string) {
  const { path, url, init } = toRequest(o, c, key, own);
  if (process.env.FUZZ_TRACE) console.log(`${c.method} ${path} ${JSON.stringify(c).slice(0, 300)}`);
  return readResponse(await fetch(`${server.url}${url}`, init));
}

/** Answers by operation and status, printed with FUZZ_STATS=1 (to see that valid requests do get through). */
const stats = new Map<string, Record<number, number>>();

function checkAnswer(res: Awaited<ReturnType<typeof send>>, key: string) {
  const byStatus = stats.get(key) ?? {};
  byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
  stats.set(key, byStatus);
  expect(res.status, res.text.slice(0, 500)).toBeLessThan(500);
  // `links` repeat the request's own query (a search for B's word is A's to send, not B's to leak).
  const shown = res.body && typeof res.body === 'object' ? JSON.stringify({ ...res.body, links: undefined }) : res.text;
  for (const s of secretsOfB) expect(shown.includes(s), `answer shows account B's ${s}`).toBe(false);
  if (res.status >= 200 && res.status < 300) return;
  expect(res.body, `not the error envelope: ${res.status} ${res.text.slice(0, 300)}`).toEqual({
    error: { code: expect.any(String), message: expect.any(String), details: expect.any(Object) },
  });
  const code = res.body.error.code as keyof typeof ERROR_STATUS;
  expect(DOCUMENTED_CODES.has(code), `undocumented code ${code}`).toBe(true);
  expect(ERROR_STATUS[code], `status ${res.status} for ${code}`).toBe(res.status);
}

const seedOf = (key: string) => [...key].reduce((h, ch) => (Math.imul(h, 31) + ch.charCodeAt(0)) | 0, SEED);
const options = (key: string, examples: Case[] = []) => ({
  // Replaying a counterexample: FUZZ_SEED is then the seed fast-check printed for that operation.
  seed: PATH ? SEED : seedOf(key),
  numRuns: RUNS,
  endOnFailure: false,
  examples: examples.map((e) => [e] as [Case]),
  ...(PATH ? { path: PATH } : {}),
});

// DELETE last, so the resources other operations use are still there while they run (conversations
// last of all: their attachments and summaries go with them).
const rank = (r: { method: string; path: string }) => (r.method !== 'DELETE' ? 0 : r.path.startsWith('/conversations') ? 2 : 1);
const ORDERED = [...REST_ROUTES].sort((x, y) => rank(x) - rank(y)).map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);

describe('fuzzing every /v1 operation from the OpenAPI document', () => {
  it('fuzzes exactly the operations the served document lists', () => {
    // HEAD operations answer what their GET does without a body (tests/conditional-reads.test.ts): fuzzed as the GET.
    const listed = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops as object)
        .filter((m) => m !== 'head')
        .map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(listed.sort()).toEqual([...ORDERED].sort());
  });

  describe.each(ORDERED)('%s', (key) => {
    const op = () => requests.operations().find((o) => o.key === key)!;

    it('answers generated valid and invalid requests without a 5xx, errors in the documented envelope', async () => {
      const o = op();
      await fc.assert(
        fc.asyncProperty(requests.caseArb(o, own, false), async (c) => checkAnswer(await send(o, c, a.api_key), key)),
        options(key, REGRESSIONS[key]),
      );
    }, 180_000);

    if (!key.includes('{')) return;
    it("answers 404 to another account's ids and shows nothing of them", async () => {
      const o = op();
      await fc.assert(
        fc.asyncProperty(requests.caseArb(o, foreign, true), async (c) => {
          const res = await send(o, c, a.api_key);
          checkAnswer(res, `${key} foreign`);
          expect(res.status, res.text.slice(0, 300)).toBe(404);
          expect(res.body.error.code).toBe('not_found');
        }),
        options(`${key} foreign`),
      );
    }, 180_000);
  });

  it("leaves account B's resources as they were", async () => {
    const c = b.client;
    for (const id of foreign.conversation) {
      const got = await c.get(`/v1/conversations/${id}`);
      expect(got.status).toBe(200);
      expect(got.body.content).toContain(MARKER_B);
    }
    for (const [path, id] of [
      ['summaries', foreign.summary[0]],
      ['webhooks', foreign.webhook[0]],
      ['exports', foreign.export[0]],
    ]) {
      expect((await c.get(`/v1/${path}/${id}`)).status).toBe(200);
    }
    expect((await c.get(`/v1/conversations/${foreign.conversation[0]}/attachments`)).body.data.map((x: { id: string }) => x.id)).toEqual(
      foreign.attachment,
    );
    expect((await c.get('/v1/api_keys')).body.data.find((k: { id: string }) => k.id === foreign.apiKey[0]).revoked_at).toBeNull();
    expect((await c.get('/v1/oauth/clients')).body.data.find((k: { id: string }) => k.id === foreign.oauthClient[0]).revoked_at).toBeNull();
  });
});
