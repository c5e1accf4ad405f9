// Request generators for tests/fuzz.test.ts: fast-check arbitraries of requests to one /v1 operation,
// built from the OpenAPI document the server publishes (valid ones, and broken ones of every kind the test
// header lists), and the fetch arguments a generated case becomes. The properties and checks stay in the
// test; a change here changes what a seed generates (docs/testing.md).
import fc from 'fast-check';
import { REST_ROUTES } from '../../src/rest/routes.js';
import { PNG_1x1 } from './files.js';

export type Schema = Record<string, any>;
export type Resource = 'conversation' | 'summary' | 'apiKey' | 'webhook' | 'attachment' | 'export' | 'oauthClient';
/** A string materialised only when sent, so that a counterexample stays printable. */
export interface Big {
  big: string;
  times: number;
}
export type Part = { name: string; value: string } | { name: string; file: string | Big | Uint8Array; filename: string; type: string };
export type Body =
  | { kind: 'json'; value: unknown; contentType?: string }
  | { kind: 'raw'; text: string | Big; contentType?: string }
  | { kind: 'multipart'; parts: Part[] };
export interface Case {
  kind: string;
  method: string;
  params: Record<string, { value: string; raw?: boolean }>;
  query: [string, string][];
  body?: Body;
  auth?: 'none' | 'bad';
}
export interface Operation {
  key: string;
  method: string;
  path: string;
  op: Schema;
}

const RESOURCE_BY_SEGMENT: Record<string, Resource> = {
  conversations: 'conversation',
  summaries: 'summary',
  api_keys: 'apiKey',
  webhooks: 'webhook',
  attachments: 'attachment',
  exports: 'export',
  clients: 'oauthClient',
};
const PREFIX: Record<Resource, string> = {
  conversation: 'conv',
  summary: 'summary',
  apiKey: 'key',
  webhook: 'webhook',
  attachment: 'att',
  export: 'export',
  oauthClient: 'oac',
};

// ---- arbitraries that need no schema ----------------------------------------------------------------

const ODD = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\u202eevil',
  'e\u0301\u0301\u0301',
  '\ufeff',
  '𝕏🏳️‍🌈👩‍👩‍👧',
  '\u200b',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "'; DROP TABLE conversations; --",
  '%00',
  '\\',
  '"',
  '\r\n\r\n',
  ' ',
  '١٢٣',
  'ＡＢＣ',
  '\u{10ffff}',
];
const odd = fc.oneof(fc.constantFrom(...ODD), fc.string({ unit: 'binary', maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 30 }));
const text = fc.oneof({ weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) }, { weight: 1, arbitrary: odd });
const isoDay = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -60, max: 1 }).map((d) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10)) },
  {
    weight: 1,
    arbitrary: fc
      .date({ min: new Date('1970-01-01'), max: new Date('2100-12-31'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10)),
  },
);
const chat = fc
  .array(fc.tuple(fc.constantFrom('Tom', 'Anna', 'Priya'), fc.string({ minLength: 1, maxLength: 60 })), { minLength: 1, maxLength: 6 })
  .map((l) => l.map(([n, t]) => `${n}: ${t}`).join('\n'));

const bigString = fc.record({ big: fc.constantFrom('x', 'é', '😀', '\u0000', ' '), times: fc.integer({ min: 100_001, max: 200_000 }) });

const eml = fc
  .record({ subject: fc.string({ maxLength: 40 }), body: chat, id: fc.ulid() })
  .map(
    (m) =>
      `From: Tom <tom@example.com>\r\nTo: anna@example.com\r\nSubject: ${m.subject.replace(/[\r\n]/g, ' ')}\r\nMessage-ID: <${m.id}@example.com>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n${m.body}\r\n`,
  );
const whatsappTxt = chat.map((c) =>
  c
    .split('\n')
    .map((l, i) => `12/01/2024, 10:0${i % 10} - ${l}`)
    .join('\n'),
);
const fileBytes = fc.oneof(
  eml,
  whatsappTxt,
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 2000 }),
  fc.constant(PNG_1x1 as Uint8Array),
  fc.uint8Array({ maxLength: 200 }).map((u) => new Uint8Array([0x50, 0x4b, 0x03, 0x04, ...u])),
  fc.constant(''),
);
const fileName = fc.oneof(fc.constantFrom('chat.txt', 'mail.eml', 'a.zip', 'image.png', '../../x.txt', '', 'x'.repeat(300)), odd);

function resourceOf(path: string, param: string): Resource {
  const segs = path.split('/');
  return RESOURCE_BY_SEGMENT[segs[segs.indexOf(`{${param}}`) - 1]];
}

function paramArb(resource: Resource, ids: Record<Resource, string[]>): fc.Arbitrary<{ value: string; raw?: boolean }> {
  const others = Object.entries(ids)
    .filter(([k]) => k !== resource)
    .flatMap(([, v]) => v);
  return fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...ids[resource]).map((value) => ({ value })) },
    { weight: 1, arbitrary: fc.constantFrom(...others).map((value) => ({ value })) },
    { weight: 1, arbitrary: fc.ulid().map((u) => ({ value: `${PREFIX[resource]}_${u.toLowerCase()}` })) },
    { weight: 1, arbitrary: odd.map((value) => ({ value })) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('%zz', '%00', '..', '%2e%2e%2fapi_keys', 'conv_%ff', `${'a'.repeat(5000)}`)
        .map((value) => ({ value, raw: true })),
    },
  );
}

// ---- arbitraries from the schemas -------------------------------------------------------------------

/**
 * The generators for one OpenAPI document. `markerB` is the word only the second account's data holds:
 * generated searches look for it too (an answer to the first account must still never show it).
 */
export function requestArbitraries(openapi: Schema, markerB: string) {
  function deref(s: Schema): Schema {
    if (s.$ref) return deref(openapi.components.schemas[String(s.$ref).split('/').pop()!]);
    if (s.allOf) return { ...deref(s.allOf[0]), nullable: s.nullable };
    // OpenAPI 3.1: a field that may be null is `anyOf: [X, {type: 'null'}]` or `type: [t, 'null']`.
    if (s.anyOf) return { ...deref(s.anyOf.find((x: Schema) => x.type !== 'null')), nullable: true };
    if (Array.isArray(s.type)) return { ...s, type: s.type.find((t: string) => t !== 'null'), nullable: s.type.includes('null') };
    return s;
  }

  const words = fc
    .array(fc.constantFrom('pricing', 'tomorrow', 'plan', 'sheet', markerB, 'alpha', '"pricing sheet"', 'OR', '-plan', 'the'), {
      minLength: 1,
      maxLength: 4,
    })
    .map((w) => w.join(' '));

  /** Values a client would really send for fields known by name (the schema alone says "string"). */
  function hint(name: string, s: Schema): fc.Arbitrary<unknown> | undefined {
    const events = /Event types to deliver: (.*)/.exec(s.description ?? '')?.[1];
    if (events)
      return fc.subarray(
        events.split(/,\s*(?:or\s+)?/).map((e) => e.replace(/\s.*|\.$/g, '').replace(/"/g, '')),
        { minLength: 1 },
      );
    switch (name) {
      case 'title':
      case 'name':
      case 'description':
        return fc.string({ minLength: 1, maxLength: 60 }).filter((t) => t.trim() !== '');
      case 'content':
        return chat;
      case 'metadata':
        return fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
      case 'language':
        return fc.constantFrom('en', 'de', 'fr', 'es');
      case 'query':
      case 'search':
        return words;
      case 'sort':
        return fc.constantFrom('relevance', 'created_at', '-created_at', 'updated_at', '-updated_at');
      case 'page':
        return fc.integer({ min: 1, max: 3 });
      case 'per_page':
        return fc.integer({ min: 1, max: 100 });
      case 'url':
        return fc.integer({ min: 1, max: 200 }).map((n) => `https://93.184.215.${n}/hook`);
      case 'format':
        return fc.constantFrom('pdf', 'json', 'csv', 'markdown');
      case 'from':
      case 'to':
      case 'date_from':
      case 'date_to':
        return isoDay;
      case 'sentiment':
        return fc.constantFrom('positive', 'neutral', 'negative');
      case 'source':
        return fc.constantFrom('api', 'email', 'whatsapp');
      case 'status':
        return fc.constantFrom('processing', 'completed', 'failed');
      case 'topics':
        return fc.array(fc.constantFrom('pricing', 'contract', 'budget'), { maxLength: 3 });
    }
    return undefined;
  }

  /** A value valid for the schema (and, where the field is known, for the service). */
  function valid(name: string, schema: Schema, sensible = false): fc.Arbitrary<unknown> {
    const s = deref(schema);
    const h = hint(name, s);
    if (h && sensible) return h;
    let arb: fc.Arbitrary<unknown>;
    if (s.enum) arb = fc.constantFrom(...s.enum);
    else if (s.type === 'integer') arb = fc.oneof(fc.integer({ min: -2, max: 120 }), fc.constantFrom(0, 2 ** 31 - 1, -(2 ** 31)));
    else if (s.type === 'number') arb = fc.double({ noNaN: true, noDefaultInfinity: true });
    else if (s.type === 'boolean') arb = fc.boolean();
    else if (s.type === 'array') arb = fc.array(valid(name, s.items ?? {}, sensible), { maxLength: 4 });
    else if (s.type === 'object' && s.properties) arb = object(s, sensible);
    else if (s.type === 'object') arb = fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
    else if (s.format === 'date-time') arb = fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
    else arb = text;
    return h ? fc.oneof({ weight: 3, arbitrary: h }, { weight: 1, arbitrary: arb }) : arb;
  }

  function object(s: Schema, sensible: boolean): fc.Arbitrary<Record<string, unknown>> {
    const props = Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, valid(k, v as Schema, sensible)]));
    return fc.record(props, { requiredKeys: s.required ?? [] }) as fc.Arbitrary<Record<string, unknown>>;
  }

  /** Any JSON value of another kind than the schema's. */
  function wrongType(schema: Schema): fc.Arbitrary<unknown> {
    const t = deref(schema).type ?? 'string';
    const all: Record<string, fc.Arbitrary<unknown>> = {
      string: text,
      integer: fc.oneof(fc.integer(), fc.constant(1.5), fc.constant(1e300)),
      boolean: fc.boolean(),
      array: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
      object: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
      null: fc.constant(null),
    };
    return fc.oneof(
      ...Object.entries(all)
        .filter(([k]) => k !== t && !(k === 'integer' && t === 'number'))
        .map(([, v]) => v),
    );
  }

  function operations(): Operation[] {
    return REST_ROUTES.map((r) => {
      const path = r.path.replace(/:(\w+)/g, '{$1}');
      return { key: `${r.method} ${path}`, method: r.method, path, op: openapi?.paths?.[path]?.[r.method.toLowerCase()] };
    });
  }

  function bodyArb(op: Schema, sensible: boolean): fc.Arbitrary<Body | undefined> {
    const content = op.requestBody?.content;
    if (!content) return fc.constant(undefined);
    const [type, { schema }] = Object.entries(content)[0] as [string, { schema: Schema }];
    if (type === 'multipart/form-data') return multipartArb(schema, sensible);
    const validBody = (
      sensible ? object(schema, true) : fc.oneof({ weight: 2, arbitrary: object(schema, true) }, object(schema, false))
    ).map((value): Body => ({ kind: 'json', value }));
    if (sensible) return validBody;
    const props = Object.keys(schema.properties ?? {});
    const broken: fc.Arbitrary<Body>[] = [
      fc
        .tuple(object(schema, false), fc.constantFrom(...props, 'filters'))
        .chain(([o, k]) =>
          wrongType(schema.properties?.[k] ?? { type: 'object' }).map((v): Body => ({ kind: 'json', value: { ...o, [k]: v } })),
        ),
      fc
        .tuple(
          object(schema, false),
          fc
            .oneof(fc.constantFrom('toString', 'constructor', '__proto__', 'hasOwnProperty'), fc.string({ minLength: 1, maxLength: 12 }))
            .filter((k) => !props.includes(k)),
          fc.jsonValue({ maxDepth: 1 }),
        )
        .map(([o, k, v]): Body => ({ kind: 'json', value: { ...o, [k]: v } })),
      fc
        .oneof(
          fc.constantFrom(
            '[]',
            'null',
            '"x"',
            '1',
            'true',
            '{',
            '{"title":',
            "{'a':1}",
            '{"a":1}}',
            '\u0000',
            '{"title":"\\ud800"}',
            '{"__proto__":{"x":1}}',
          ),
          fc.string({ maxLength: 40 }),
        )
        .map((t): Body => ({ kind: 'raw', text: t, contentType: 'application/json' })),
      fc
        .tuple(
          object(schema, true),
          fc.constantFrom(
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            'application/json; charset=utf-16',
            'application/vnd.api+json',
            '',
          ),
        )
        .map(([value, contentType]): Body => ({ kind: 'json', value, contentType })),
      fc.constant<Body>({ kind: 'raw', text: { big: ' ', times: 1_100_000 }, contentType: 'application/json' }),
    ];
    const strings = props.filter((k) => deref(schema.properties[k]).type === 'string');
    if (strings.length) {
      broken.push(
        fc
          .tuple(object(schema, true), fc.constantFrom(...strings), fc.oneof(bigString, odd))
          .map(([o, k, v]): Body => ({ kind: 'json', value: { ...o, [k]: v } })),
      );
    }
    if (schema.required?.length) {
      broken.push(
        fc
          .tuple(object(schema, true), fc.constantFrom(...(schema.required as string[])))
          .map(([o, k]): Body => ({ kind: 'json', value: Object.fromEntries(Object.entries(o).filter(([x]) => x !== k)) })),
      );
    }
    return fc.oneof({ weight: broken.length, arbitrary: validBody }, ...broken);
  }

  function multipartArb(schema: Schema, sensible: boolean): fc.Arbitrary<Body> {
    const fields = Object.entries(schema.properties ?? {}) as [string, Schema][];
    const partsOf = (name: string, s: Schema): fc.Arbitrary<Part[]> =>
      s.format === 'binary'
        ? fc
            .record({
              name: fc.constant(name),
              file: fileBytes,
              filename: fileName,
              type: fc.constantFrom('text/plain', 'application/octet-stream', 'message/rfc822', 'application/zip', ''),
            })
            .map((p) => [p as Part])
        : fc
            .option(
              valid(name, s, sensible).map((v) => [{ name, value: String(v) } as Part]),
              { nil: [] as Part[] },
            )
            .map((p) => p ?? []);
    const parts = fc.tuple(...fields.map(([n, s]) => partsOf(n, s))).map((ps) => ps.flat());
    if (sensible) return parts.map((p): Body => ({ kind: 'multipart', parts: p }));
    return fc.oneof(
      { weight: 4, arbitrary: parts.map((p): Body => ({ kind: 'multipart', parts: p })) },
      fc.tuple(parts, fc.shuffledSubarray(fields.map(([n]) => n)), fc.string({ minLength: 1, maxLength: 10 }), odd).map(
        ([p, drop, extra, v]): Body => ({
          kind: 'multipart',
          parts: [...p.filter((x) => !drop.includes(x.name)), { name: extra, value: v }],
        }),
      ),
      fc.constantFrom<Body>(
        {
          kind: 'raw',
          text: '--x\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nunterminated',
          contentType: 'multipart/form-data; boundary=x',
        },
        { kind: 'raw', text: 'no boundary', contentType: 'multipart/form-data' },
        { kind: 'json', value: { file: 'not a file' } },
        { kind: 'raw', text: { big: 'x', times: 200 }, contentType: 'message/rfc822' },
      ),
    );
  }

  function queryArb(params: Schema[], sensible: boolean): fc.Arbitrary<[string, string][]> {
    const q = params.filter((p) => p.in === 'query');
    const valids = fc
      .tuple(
        ...q.map((p) =>
          fc.option(
            valid(p.name, p.schema, sensible).map((v) => [p.name, String(v)] as [string, string]),
            { nil: undefined },
          ),
        ),
      )
      .map((ps) => ps.filter((x): x is [string, string] => x !== undefined));
    if (sensible || !q.length)
      return sensible
        ? valids
        : fc.oneof(
            { weight: 4, arbitrary: valids },
            fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), odd).map((kv) => [kv]),
          );
    return fc.oneof(
      { weight: 6, arbitrary: valids },
      fc
        .tuple(
          valids,
          fc.constantFrom(...q.map((p) => p.name)),
          fc.oneof(odd, fc.constantFrom('abc', '1.5', '', '99999999999', '-1', '0', 'null')),
        )
        .map(([v, k, x]) => [...v.filter(([n]) => n !== k), [k, x] as [string, string]]),
      fc
        .tuple(valids, fc.oneof(fc.constantFrom('toString', '__proto__', 'constructor'), fc.string({ minLength: 1, maxLength: 8 })), odd)
        .map(([v, k, x]) => [...v, [k, x] as [string, string]]),
      fc.tuple(valids, fc.constantFrom(...q.map((p) => p.name))).map(([v, k]) => [...v, [k, '1'], [k, '2']] as [string, string][]),
      // Node itself answers a request head over 16 KB (431 without a body): stay under that (docs/testing.md).
      bigString.map((s) => [[q[0].name, s.big.repeat(Math.min(s.times, 1_000))]] as [string, string][]),
    );
  }

  function caseArb(o: Operation, ids: Record<Resource, string[]>, sensible: boolean): fc.Arbitrary<Case> {
    const params: Schema[] = o.op.parameters ?? [];
    const pathParams = params.filter((p) => p.in === 'path');
    const base = fc.record({
      params: fc.record(
        Object.fromEntries(
          pathParams.map((p) => [
            p.name,
            sensible
              ? fc.constantFrom(...ids[resourceOf(o.path, p.name)]).map((value) => ({ value }))
              : paramArb(resourceOf(o.path, p.name), ids),
          ]),
        ),
      ),
      query: queryArb(params, sensible),
      body: bodyArb(o.op, sensible),
    });
    if (sensible) return base.map((c) => ({ ...c, kind: 'valid', method: o.method }));
    return fc.oneof(
      { weight: 8, arbitrary: base.map((c) => ({ ...c, kind: 'generated', method: o.method })) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(base, fc.constantFrom('none', 'bad') as fc.Arbitrary<'none' | 'bad'>)
          .map(([c, auth]) => ({ ...c, kind: 'auth', method: o.method, auth })),
      },
      // Not DELETE: on an id route it would delete the fixtures the other operations use (DELETE runs last).
      {
        weight: 1,
        arbitrary: fc
          .tuple(base, fc.constantFrom('GET', 'POST', 'PATCH', 'PUT'))
          .map(([c, method]) => ({ ...c, kind: 'method', method, body: method === 'GET' ? undefined : c.body })),
      },
    );
  }

  return { operations, caseArb };
}

// ---- a case as a request ----------------------------------------------------------------------------

const materialise = (v: unknown): unknown => {
  if (v && typeof v === 'object' && 'big' in v && 'times' in v) return (v as Big).big.repeat((v as Big).times);
  if (Array.isArray(v)) return v.map(materialise);
  if (v && typeof v === 'object' && !(v instanceof Uint8Array))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, materialise(x)]));
  return v;
};

/** Lone surrogates cannot be percent-encoded: they travel as U+FFFD, as a browser would send them. */
const encode = (s: string) =>
  encodeURIComponent(s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));

/**
 * The fetch arguments for a generated case, sent with `key`: path ids are encoded unless `raw`, and
 * "@conversation" (the regression examples) stands for `ownIds.conversation[0]`.
 */
export function toRequest(
  o: Operation,
  c: Case,
  key: string,
  ownIds: Record<Resource, string[]>,
): { path: string; url: string; init: RequestInit } {
  const path = o.path.replace(/\{(\w+)\}/g, (_, n: string) => {
    const { value, raw } = c.params[n];
    if (value.startsWith('@')) return ownIds[value.slice(1) as Resource][0];
    return raw ? value : encode(value);
  });
  const qs = c.query.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
  const headers: Record<string, string> = {};
  if (c.auth === 'bad') headers.Authorization = 'Bearer amc_not_a_key';
  else if (!c.auth) headers.Authorization = `Bearer ${key}`;
  let body: BodyInit | undefined;
  const b = c.method === 'GET' ? undefined : c.body;
  if (b?.kind === 'json') {
    body = JSON.stringify(materialise(b.value));
    if (b.contentType !== '') headers['Content-Type'] = b.contentType ?? 'application/json';
  } else if (b?.kind === 'raw') {
    body = materialise(b.text) as string;
    if (b.contentType) headers['Content-Type'] = b.contentType;
  } else if (b?.kind === 'multipart') {
    const form = new FormData();
    for (const p of b.parts) {
      if ('file' in p) form.append(p.name, new Blob([materialise(p.file) as BlobPart], { type: p.type }), p.filename);
      else form.append(p.name, p.value);
    }
    body = form;
  }
  return { path, url: `/v1${path}${qs ? `?${qs}` : ''}`, init: { method: c.method, headers, body, redirect: 'manual' } };
}
