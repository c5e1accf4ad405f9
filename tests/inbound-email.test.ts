// Inbound email (docs/spec/product.md §9) through HTTP, with hand-written RFC 822 messages: subjects, charsets and
// encoded words, multipart/alternative and HTML-only bodies, attachments (quota applies), a thread of
// three replies, duplicates, the inbound token, malformed input and tenant isolation.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { filesUnder, PNG_1x1 } from './helpers/files.js';
import { postEmail, postForm, rawEmail, textPart, uniqueId } from './helpers/inbound.js';
import { dropPrefix, parkedJobsEnv } from './helpers/jobs.js';
import { newAccount, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let dataDir: string;
// Summaries are not what is tested here: their jobs wait unrun (their rows still show each re-run).
const jobs = parkedJobsEnv();

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amc-inbound-email-'));
  server = await startTestServer({
    ...jobs,
    DATA_DIR: dataDir,
    FILE_SIGNING_SECRET: 'test-signing-secret-0123456789abcdef',
    INBOUND_EMAIL_MAX_BYTES: String(512 * 1024),
    PLANS_JSON: JSON.stringify({ tiny: { storageLimitMb: 0.1, requestsPerDay: 100000, requestsPerMinute: 100000 } }),
  });
});
afterAll(async () => {
  await server?.stop();
  await dropPrefix(15, jobs.QUEUE_PREFIX);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const accountFiles = (accountId: string) => filesUnder(path.join(dataDir, 'files', 'attachments', accountId));
const withoutUrls = (c: any) => ({ ...c, attachments: (c.attachments ?? []).map((a: any) => ({ ...a, url: undefined })) });

describe('POST /v1/inbound/email', () => {
  it('creates a conversation from a plain message: 201 with the same shape as GET, title without prefixes', async () => {
    const { client, api_key } = await newAccount(server);
    const id = uniqueId('plain');
    const raw = rawEmail({
      subject: 'RE: aw: Fwd: WG: Fw: Re[2]: Pricing for Q1',
      cc: '"Bob" <BOB@example.com>, carol@example.com',
      messageId: id,
      mime: textPart('Hi Tom,\n\nhere are the numbers for Q1: 1,200 per seat.\nCan you confirm by Friday?\n\nAnna'),
    });
    const res = await postEmail(server.url, raw, { key: api_key });
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get('x-inbound-outcome')).toBe('created');
    expect(res.body).toMatchObject({ title: 'Pricing for Q1', source: 'email', status: 'processing' });
    expect(res.body.content).toBe('Hi Tom,\n\nhere are the numbers for Q1: 1,200 per seat.\nCan you confirm by Friday?\n\nAnna');
    expect(res.body.metadata).toEqual({
      from: 'Anna Schmidt <anna@example.com>',
      to: ['Tom Baker <tom@example.com>'],
      cc: ['Bob <bob@example.com>', 'carol@example.com'],
      date: '2024-01-02T09:00:00.000Z',
      message_id: id,
      participants: ['anna@example.com', 'tom@example.com', 'bob@example.com', 'carol@example.com'],
      message_count: 1,
    });
    const get = await client.get(`/v1/conversations/${res.body.id}`);
    expect(withoutUrls(res.body)).toEqual(withoutUrls(get.body));
  });

  it('reads multipart/alternative with a non-UTF-8 charset and encoded words (text part wins)', async () => {
    const { api_key } = await newAccount(server);
    const mime = [
      'Content-Type: multipart/alternative; boundary="alt"',
      '',
      '--alt',
      'Content-Type: text/plain; charset=iso-8859-1',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Gr=FC=DFe aus M=FCnchen, die Preise f=FCr 2024 sind fertig.',
      '--alt',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>HTML version that must not be used</p>',
      '--alt--',
      '',
    ].join('\n');
    const res = await postEmail(
      server.url,
      rawEmail({
        from: '=?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <juergen@example.de>',
        subject: '=?ISO-8859-1?Q?AW:_Preis=FCbersicht?=',
        messageId: uniqueId('alt'),
        mime,
      }),
      { key: api_key },
    );
    expect(res.status, res.text).toBe(201);
    expect(res.body.title).toBe('Preisübersicht');
    expect(res.body.content).toBe('Grüße aus München, die Preise für 2024 sind fertig.');
    expect(res.body.metadata.from).toBe('Jürgen Müller <juergen@example.de>');
  });

  it('converts an HTML-only message to text', async () => {
    const { api_key } = await newAccount(server);
    const mime =
      'Content-Type: text/html; charset=utf-8\n\n<html><body><h1>Launch plan</h1><p>We ship on <b>Monday</b>.</p><ul><li>Docs</li><li>Blog post</li></ul><script>alert(1)</script></body></html>\n';
    const res = await postEmail(server.url, rawEmail({ subject: 'Launch', messageId: uniqueId('html'), mime }), { key: api_key });
    expect(res.status, res.text).toBe(201);
    expect(res.body.content).toMatch(/LAUNCH PLAN|Launch plan/);
    expect(res.body.content).toContain('We ship on Monday.');
    expect(res.body.content).toMatch(/\* Docs\n \* Blog post/);
    expect(res.body.content).not.toMatch(/<|alert/);
  });

  it('stores attachments through the attachments service (type sniffed, name sanitised)', async () => {
    const { client, api_key, account } = await newAccount(server);
    const mime = [
      'Content-Type: multipart/mixed; boundary="mix"',
      '',
      '--mix',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'The signed contract and the chart are attached.',
      '--mix',
      'Content-Type: image/png; name="chart.png"',
      'Content-Disposition: attachment; filename="../../chart.png"',
      'Content-Transfer-Encoding: base64',
      '',
      PNG_1x1.toString('base64'),
      '--mix',
      'Content-Type: text/csv; name="=?UTF-8?Q?Zahlen_f=C3=BCr_Q1.csv?="',
      "Content-Disposition: attachment; filename*=UTF-8''Zahlen%20f%C3%BCr%20Q1.csv",
      '',
      'seat,price',
      'pro,1200',
      '--mix--',
      '',
    ].join('\n');
    const res = await postEmail(server.url, rawEmail({ messageId: uniqueId('att'), mime }), { key: api_key });
    expect(res.status, res.text).toBe(201);
    expect(res.body.content).toBe('The signed contract and the chart are attached.');
    const list = await client.get(`/v1/conversations/${res.body.id}/attachments`);
    expect(list.body.data.map((a: any) => [a.filename, a.mime_type])).toEqual([
      ['chart.png', 'image/png'],
      ['Zahlen für Q1.csv', 'text/csv'],
    ]);
    expect(list.body.data[0].size).toBe(PNG_1x1.length);
    expect(accountFiles(account.id)).toHaveLength(2);
    const download = await fetch(list.body.data[0].url);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(PNG_1x1);
  });

  it('joins a thread of three replies to the first message, without quoted history or signatures', async () => {
    const { client, api_key } = await newAccount(server);
    const a = uniqueId('a');
    const b = uniqueId('b');
    const c = uniqueId('c');
    const d = uniqueId('d');
    const first = await postEmail(
      server.url,
      rawEmail({ subject: 'Contract renewal', messageId: a, mime: textPart('Tom, can you send the renewal contract by Friday?') }),
      { key: api_key },
    );
    expect(first.status, first.text).toBe(201);
    const id = first.body.id;

    // Gmail style: attribution wrapped over two lines, quoted lines, an RFC 3676 signature.
    const r1 = await postEmail(
      server.url,
      rawEmail({
        from: 'Tom Baker <tom@example.com>',
        to: 'anna@example.com',
        subject: 'Re: Contract renewal',
        date: 'Tue, 02 Jan 2024 12:00:00 +0000',
        messageId: b,
        inReplyTo: a,
        references: `<${a}>`,
        mime: textPart(
          'Sure, I will send it on Thursday.\n\nOn Tue, 2 Jan 2024 at 10:00, Anna Schmidt <\nanna@example.com> wrote:\n> Tom, can you send the renewal contract by Friday?\n\n-- \nTom Baker\nSales | ACME',
        ),
      }),
      { key: api_key },
    );
    expect(r1.status, r1.text).toBe(200);
    expect(r1.headers.get('x-inbound-outcome')).toBe('appended');
    expect(r1.body.id).toBe(id);

    // Outlook style: "-----Original Message-----" and a header block.
    const r2 = await postEmail(
      server.url,
      rawEmail({
        subject: 'AW: RE: Contract renewal',
        cc: 'legal@example.com',
        date: 'Wed, 03 Jan 2024 09:30:00 +0000',
        messageId: c,
        inReplyTo: b,
        references: `<${a}> <${b}>`,
        mime: textPart(
          'Thanks! Legal needs a copy as well.\n\nSent from my iPhone\n\n-----Original Message-----\nFrom: Tom Baker <tom@example.com>\nSent: Tuesday, January 2, 2024 12:00\nTo: Anna\nSubject: Re: Contract renewal\n\nSure, I will send it on Thursday.',
        ),
      }),
      { key: api_key },
    );
    expect(r2.status, r2.text).toBe(200);

    // Only References (no In-Reply-To), HTML-only with a blockquote of the history.
    const r3 = await postEmail(
      server.url,
      rawEmail({
        from: 'Legal <legal@example.com>',
        subject: 'Re: Contract renewal',
        date: 'Thu, 04 Jan 2024 08:00:00 +0000',
        messageId: d,
        references: `<${a}> <${b}> <${c}>`,
        mime: 'Content-Type: text/html; charset=utf-8\n\n<div>Received, we will review it this week.</div><div class="gmail_quote"><div>On Wed, 3 Jan 2024 Anna wrote:</div><blockquote>Thanks! Legal needs a copy as well.</blockquote></div>\n',
      }),
      { key: api_key },
    );
    expect(r3.status, r3.text).toBe(200);

    const conv = (await client.get(`/v1/conversations/${id}`)).body;
    expect(conv.content).toBe(
      [
        'Tom, can you send the renewal contract by Friday?',
        '--- Reply from Tom Baker <tom@example.com> on 2024-01-02T12:00:00.000Z ---',
        'Sure, I will send it on Thursday.',
        '--- Reply from Anna Schmidt <anna@example.com> on 2024-01-03T09:30:00.000Z ---',
        'Thanks! Legal needs a copy as well.',
        '--- Reply from Legal <legal@example.com> on 2024-01-04T08:00:00.000Z ---',
        'Received, we will review it this week.',
      ].join('\n\n'),
    );
    expect(conv.title).toBe('Contract renewal');
    expect(conv.status).toBe('processing');
    expect(conv.metadata).toMatchObject({
      message_id: a,
      message_count: 4,
      last_message_at: '2024-01-04T08:00:00.000Z',
      participants: ['anna@example.com', 'tom@example.com', 'legal@example.com'],
    });
    // Every appended reply re-ran the summary through the update service.
    const summaries = await client.get(`/v1/conversations/${id}/summaries`);
    expect(summaries.body.data).toHaveLength(4);
    expect((await client.get('/v1/conversations')).body.meta.total).toBe(1);
  });

  it('stores the same Message-ID once: a second delivery answers 200 with the existing conversation', async () => {
    const { client, api_key } = await newAccount(server);
    const raw = rawEmail({ messageId: uniqueId('dup'), mime: textPart('Only once, please.') });
    const first = await postEmail(server.url, raw, { key: api_key });
    expect(first.status).toBe(201);
    const again = await Promise.all([postEmail(server.url, raw, { key: api_key }), postEmail(server.url, raw, { key: api_key })]);
    for (const r of again) {
      expect(r.status, r.text).toBe(200);
      expect(r.headers.get('x-inbound-outcome')).toBe('duplicate');
      expect(r.body.id).toBe(first.body.id);
    }
    // Without a Message-ID the bytes themselves identify a duplicate.
    const noId = rawEmail({ subject: 'No id', mime: textPart('no message id here') });
    expect((await postEmail(server.url, noId, { key: api_key })).status).toBe(201);
    expect((await postEmail(server.url, noId, { key: api_key })).status).toBe(200);
    expect((await client.get('/v1/conversations')).body.meta.total).toBe(2);
  });

  it("takes the raw message as a multipart `email` field or file, ignoring the provider's other fields", async () => {
    const { client, api_key } = await newAccount(server);
    const asField = await postForm(`${server.url}/v1/inbound/email`, api_key, {
      email: rawEmail({ messageId: uniqueId('form'), subject: 'Via form', mime: textPart('Posted by a provider as a form field.') }),
      envelope: '{"to":["in@example.com"]}',
      SPF: 'pass',
    });
    expect(asField.status, asField.text).toBe(201);
    expect(asField.body.content).toBe('Posted by a provider as a form field.');
    const asFile = await postForm(`${server.url}/v1/inbound/email`, api_key, {
      email: {
        bytes: rawEmail({ messageId: uniqueId('file'), subject: 'Via file', mime: textPart('Uploaded as an .eml file.') }),
        name: 'message.eml',
      },
    });
    expect(asFile.status, asFile.text).toBe(201);
    const missing = await postForm(`${server.url}/v1/inbound/email`, api_key, { other: 'x' });
    expect(missing.status).toBe(422);
    expect(missing.body.error.details.fields.email).toBeDefined();
    expect((await client.get('/v1/conversations')).body.meta.total).toBe(2);
  });

  it('refuses malformed input with the error envelope and stores nothing', async () => {
    const { client, api_key } = await newAccount(server);
    for (const body of ['', 'hello world, this is not an email', '\u0000\u0001\u0002binary', 'Subject: no sender\r\n\r\nbody']) {
      const res = await postEmail(server.url, body, { key: api_key });
      expect(res.status, `${JSON.stringify(body)} → ${res.text}`).toBe(422);
      expect(res.body.error.code).toBe('validation_error');
      expect(res.body.error.details.fields.email).toHaveLength(1);
    }
    const wrongType = await fetch(`${server.url}/v1/inbound/email`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${api_key}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(wrongType.status).toBe(415);
    const tooBig = await postEmail(server.url, rawEmail({ messageId: uniqueId('big'), mime: textPart('x'.repeat(600 * 1024)) }), {
      key: api_key,
    });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.code).toBe('payload_too_large');
    const anonymous = await postEmail(server.url, rawEmail({ messageId: uniqueId('anon'), mime: textPart('who am I') }));
    expect(anonymous.status).toBe(401);
    expect((await client.get('/v1/conversations')).body.meta.total).toBe(0);
  });

  it('refuses a message whose attachments exceed the storage quota (403), keeping nothing of it', async () => {
    const { client, api_key, account } = await newAccount(server, 'tiny'); // 0.1 MB
    const big = Buffer.alloc(120_000, 65)
      .toString('base64')
      .replace(/(.{76})/g, '$1\n');
    const mime = `Content-Type: multipart/mixed; boundary="q"\n\n--q\nContent-Type: text/plain\n\nSee attached.\n--q\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename="big.bin"\nContent-Transfer-Encoding: base64\n\n${big}\n--q--\n`;
    const raw = rawEmail({ messageId: uniqueId('quota'), mime });
    const res = await postEmail(server.url, raw, { key: api_key });
    expect(res.status, res.text).toBe(403);
    expect(res.body.error.code).toBe('storage_quota_exceeded');
    expect((await client.get('/v1/conversations')).body.meta.total).toBe(0);
    expect(accountFiles(account.id)).toEqual([]);
    // The refused Message-ID was not remembered: once it fits, the same message is stored.
    const small = raw.replace(
      /Content-Type: application\/octet-stream[\s\S]*?--q--/,
      'Content-Type: text/plain\r\nContent-Disposition: attachment; filename="small.txt"\r\n\r\nsmall\r\n--q--',
    );
    expect((await postEmail(server.url, small, { key: api_key })).status).toBe(201);
  });
});

describe('inbound token', () => {
  it('authenticates the inbound route only, by ?token= or Basic auth; a new token replaces the old', async () => {
    const owner = await newAccount(server);
    const issued = await cli(['inbound', 'token', '--account', owner.account.id], { DATABASE_URL: inject('databaseUrl') });
    expect(issued.code, issued.stderr).toBe(0);
    const out = JSON.parse(issued.stdout);
    expect(out.token).toMatch(/^amci_[\w-]{43}$/);
    expect(out.path).toBe(`/v1/inbound/email?token=${out.token}`);

    const viaQuery = await postEmail(server.url, rawEmail({ messageId: uniqueId('tok'), mime: textPart('by token') }), {
      query: `?token=${out.token}`,
    });
    expect(viaQuery.status, viaQuery.text).toBe(201);
    expect((await owner.client.get(`/v1/conversations/${viaQuery.body.id}`)).status).toBe(200);
    const viaBasic = await postEmail(server.url, rawEmail({ messageId: uniqueId('basic'), mime: textPart('by basic auth') }), {
      basic: out.token,
    });
    expect(viaBasic.status, viaBasic.text).toBe(201);

    // The token is no API key.
    const list = await fetch(`${server.url}/v1/conversations?token=${out.token}`);
    expect(list.status).toBe(401);
    const asBearer = await fetch(`${server.url}/v1/conversations`, { headers: { Authorization: `Bearer ${out.token}` } });
    expect(asBearer.status).toBe(401);

    // GraphQL issues a new one; the old stops working.
    const gql = await owner.client.request('POST', '/graphql', {
      query: 'mutation { createInboundEmailToken { token prefix path createdAt } }',
    });
    const fresh = gql.body.data.createInboundEmailToken.token;
    expect(fresh).not.toBe(out.token);
    expect(
      (await postEmail(server.url, rawEmail({ messageId: uniqueId('old'), mime: textPart('old token') }), { query: `?token=${out.token}` }))
        .status,
    ).toBe(401);
    expect(
      (await postEmail(server.url, rawEmail({ messageId: uniqueId('new'), mime: textPart('new token') }), { query: `?token=${fresh}` }))
        .status,
    ).toBe(201);
    expect(
      (await postEmail(server.url, rawEmail({ messageId: uniqueId('bad'), mime: textPart('x') }), { query: '?token=amci_nope' })).status,
    ).toBe(401);
  });
});

describe('tenant isolation', () => {
  it("never joins another account's thread, and Message-IDs are unique per account only", async () => {
    const a = await newAccount(server);
    const b = await newAccount(server);
    const id = uniqueId('shared');
    const original = rawEmail({ subject: 'Secret deal', messageId: id, mime: textPart('Confidential pricing for ACME') });
    const mine = await postEmail(server.url, original, { key: a.api_key });
    expect(mine.status).toBe(201);
    // The same message delivered to another account is that account's own copy.
    const theirs = await postEmail(server.url, original, { key: b.api_key });
    expect(theirs.status).toBe(201);
    expect(theirs.body.id).not.toBe(mine.body.id);

    const reply = rawEmail({
      subject: 'Re: Secret deal',
      messageId: uniqueId('intruder'),
      inReplyTo: id,
      references: `<${id}>`,
      mime: textPart('Let me in'),
    });
    const other = await newAccount(server);
    const res = await postEmail(server.url, reply, { key: other.api_key });
    expect(res.status).toBe(201);
    expect(res.body.id).not.toBe(mine.body.id);
    expect(res.body.content).toBe('Let me in');
    const after = await a.client.get(`/v1/conversations/${mine.body.id}`);
    expect(after.body.content).toBe('Confidential pricing for ACME');
    expect(after.body.updated_at).toBe(mine.body.updated_at);
  });
});
