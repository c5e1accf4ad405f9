// WhatsApp (docs/spec/product.md §9) through HTTP: the Cloud API webhook (verification handshake, signatures,
// grouping per contact with the gap rule, duplicate deliveries, status updates, unlinked numbers) and
// the chat export import (Android and iOS formats, multi-line messages, zips with media, zip bombs,
// path traversal, files that are not chats).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { filesUnder, graphqlUpload, PNG_1x1 } from './helpers/files.js';
import { cloudPayload, declareSize, makeZip, postForm, renameEntry, signature, type WaMessage } from './helpers/inbound.js';
import { dropPrefix, parkedJobsEnv } from './helpers/jobs.js';
import { newAccount, startTestServer, type TestServer } from './helpers/server.js';

const SECRET = 'meta-app-secret-for-tests';
const VERIFY = 'verify-me-please';
let server: TestServer;
let bare: TestServer;
let dataDir: string;
const jobs = parkedJobsEnv();

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'amc-inbound-wa-'));
  server = await startTestServer({
    ...jobs,
    DATA_DIR: dataDir,
    FILE_SIGNING_SECRET: 'test-signing-secret-0123456789abcdef',
    WHATSAPP_APP_SECRET: SECRET,
    WHATSAPP_VERIFY_TOKEN: VERIFY,
    WHATSAPP_IMPORT_MAX_UNCOMPRESSED_BYTES: String(256 * 1024),
    WHATSAPP_IMPORT_MAX_ENTRIES: '20',
  });
  // A deployment without the webhook configured.
  bare = await startTestServer({ ...jobs, DATA_DIR: dataDir });
});
afterAll(async () => {
  await server?.stop();
  await bare?.stop();
  await dropPrefix(15, jobs.QUEUE_PREFIX);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const WEBHOOK = '/v1/inbound/whatsapp';
const env = () => ({ DATABASE_URL: inject('databaseUrl') });
const phoneNumberId = () => String(100_000_000_000 + crypto.randomInt(1, 2 ** 40));
const waId = () => `49151${crypto.randomInt(10_000_000, 99_999_999)}`;
const wamid = () => `wamid.${crypto.randomBytes(12).toString('base64url')}`;
const accountFiles = (accountId: string) => filesUnder(path.join(dataDir, 'files', 'attachments', accountId));

async function deliver(payload: unknown, sign: (body: string) => string | undefined = (b) => signature(SECRET, b), base = server.url) {
  const body = JSON.stringify(payload);
  const sig = sign(body);
  const res = await fetch(`${base}${WEBHOOK}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(sig ? { 'X-Hub-Signature-256': sig } : {}) },
    body,
  });
  const text = await res.text();
  return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
}

async function linked() {
  const acct = await newAccount(server);
  const number = phoneNumberId();
  const res = await cli(['whatsapp', 'link', '--account', acct.account.id, '--phone-number-id', number], env());
  expect(res.code, res.stderr).toBe(0);
  expect(JSON.parse(res.stdout)).toMatchObject({ phone_number_id: number, account_id: acct.account.id });
  return { ...acct, number };
}

async function whatsappConversations(client: Awaited<ReturnType<typeof newAccount>>['client']) {
  const list = await client.get('/v1/conversations?source=whatsapp&sort=created_at');
  return Promise.all(list.body.data.map(async (c: { id: string }) => (await client.get(`/v1/conversations/${c.id}`)).body));
}

describe('GET /v1/inbound/whatsapp (verification)', () => {
  it('answers hub.challenge when the verify token matches, 403 otherwise', async () => {
    const ok = await fetch(`${server.url}${WEBHOOK}?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=1158201444`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1158201444');
    for (const q of [
      `hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1`,
      `hub.mode=unsubscribe&hub.verify_token=${VERIFY}&hub.challenge=1`,
      'hub.challenge=1',
    ]) {
      const res = await fetch(`${server.url}${WEBHOOK}?${q}`);
      expect(res.status, q).toBe(403);
      expect((await res.json()).error.code).toBe('forbidden');
    }
  });

  it('does not exist on a deployment without WHATSAPP_APP_SECRET / WHATSAPP_VERIFY_TOKEN', async () => {
    const res = await fetch(`${bare.url}${WEBHOOK}?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=1`);
    expect(res.status).toBe(404);
    expect((await deliver({ object: 'whatsapp_business_account' }, undefined, bare.url)).status).toBe(404);
  });
});

describe('POST /v1/inbound/whatsapp (Cloud API webhook)', () => {
  it('refuses a missing or wrong X-Hub-Signature-256 with 401 and stores nothing', async () => {
    const { client, number } = await linked();
    const payload = cloudPayload(number, [{ id: wamid(), from: waId(), name: 'Eve', at: new Date(), text: 'forged' }]);
    const bodies = [
      await deliver(payload, () => undefined),
      await deliver(payload, () => `sha256=${'0'.repeat(64)}`),
      await deliver(payload, () => signature('another-secret', JSON.stringify(payload))),
      await deliver(payload, () => signature(SECRET, '{}')),
      await deliver(payload, (b) => signature(SECRET, b).replace('sha256=', 'sha1=')),
    ];
    for (const r of bodies) {
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('unauthorized');
    }
    expect((await client.get('/v1/conversations')).body.meta.total).toBe(0);
  });

  it('groups messages per contact into conversations, ignoring status updates', async () => {
    const { client, number } = await linked();
    const anna = waId();
    const tom = waId();
    const t0 = new Date('2024-03-01T09:00:00Z');
    const at = (min: number) => new Date(t0.getTime() + min * 60_000);
    const messages: WaMessage[] = [
      { id: wamid(), from: anna, name: 'Anna', at: at(0), text: 'Hi, is the blue sofa still available?' },
      { id: wamid(), from: tom, name: 'Tom', at: at(1), text: 'Where is my order #1234?' },
      {
        id: wamid(),
        from: anna,
        name: 'Anna',
        at: at(2),
        raw: { type: 'image', image: { id: 'media1', mime_type: 'image/jpeg', caption: 'This one' } },
      },
      { id: wamid(), from: anna, name: 'Anna', at: at(3), text: 'Can you deliver on Friday?\nAfternoon works best.' },
      { id: wamid(), from: anna, name: 'Anna', at: at(4), raw: { type: 'reaction', reaction: { message_id: 'x', emoji: '👍' } } },
    ];
    const res = await deliver(cloudPayload(number, messages, { status: true }));
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ stored: 4, duplicates: 0, unlinked: 0 });

    const convs = await whatsappConversations(client);
    expect(convs).toHaveLength(2);
    const annas = convs.find((c) => c.metadata.wa_id === anna);
    const toms = convs.find((c) => c.metadata.wa_id === tom);
    expect(annas).toMatchObject({ title: 'WhatsApp chat with Anna', source: 'whatsapp', status: 'processing' });
    expect(annas.content).toBe(
      [
        '[2024-03-01 09:00:00] Anna: Hi, is the blue sofa still available?',
        '[2024-03-01 09:02:00] Anna: [image] This one',
        '[2024-03-01 09:03:00] Anna: Can you deliver on Friday?',
        'Afternoon works best.',
      ].join('\n'),
    );
    expect(annas.metadata).toEqual({
      wa_id: anna,
      contact_name: 'Anna',
      phone_number_id: number,
      display_phone_number: '15550783881',
      participants: ['Anna'],
      date: '2024-03-01T09:00:00.000Z',
      first_message_at: '2024-03-01T09:00:00.000Z',
      last_message_at: '2024-03-01T09:03:00.000Z',
      message_count: 3,
    });
    expect(toms.content).toBe('[2024-03-01 09:01:00] Tom: Where is my order #1234?');

    // A status-only delivery is accepted and changes nothing.
    const statusOnly = cloudPayload(number, []);
    (statusOnly.entry[0]!.changes[0]!.value as any).statuses = [
      { id: 'wamid.s', status: 'read', timestamp: '1709283600', recipient_id: anna },
    ];
    expect((await deliver(statusOnly)).status).toBe(200);
    expect(await whatsappConversations(client)).toEqual(convs);
  });

  it('appends within the gap, starts a new conversation after it, and ignores duplicate deliveries', async () => {
    const { client, number } = await linked();
    const anna = waId();
    const t0 = new Date('2024-04-01T08:00:00Z');
    const hours = (h: number) => new Date(t0.getTime() + h * 3_600_000);
    const first = { id: wamid(), from: anna, name: 'Anna', at: hours(0), text: 'Good morning' };
    expect((await deliver(cloudPayload(number, [first]))).status).toBe(200);
    const [conv] = await whatsappConversations(client);

    // 23 h later: the same conversation; delivered twice, stored once.
    const later = { id: wamid(), from: anna, name: 'Anna', at: hours(23), text: 'Still there?' };
    expect((await deliver(cloudPayload(number, [later]))).body).toMatchObject({ stored: 1 });
    const again = await deliver(cloudPayload(number, [first, later]));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ stored: 0, duplicates: 2 });
    let convs = await whatsappConversations(client);
    expect(convs).toHaveLength(1);
    expect(convs[0].id).toBe(conv.id);
    expect(convs[0].content).toBe('[2024-04-01 08:00:00] Anna: Good morning\n[2024-04-02 07:00:00] Anna: Still there?');
    expect(convs[0].metadata).toMatchObject({ message_count: 2, last_message_at: hours(23).toISOString() });
    expect((await client.get(`/v1/conversations/${conv.id}/summaries`)).body.data).toHaveLength(2);

    // More than 24 h after the last message: a new conversation — also inside one delivery.
    const nextDay = { id: wamid(), from: anna, name: 'Anna', at: hours(48), text: 'New question about invoices' };
    const nextWeek = { id: wamid(), from: anna, name: 'Anna', at: hours(200), text: 'Hello again' };
    expect((await deliver(cloudPayload(number, [nextWeek, nextDay]))).body).toMatchObject({ stored: 2 });
    convs = await whatsappConversations(client);
    expect(convs.map((c) => c.content)).toEqual([
      '[2024-04-01 08:00:00] Anna: Good morning\n[2024-04-02 07:00:00] Anna: Still there?',
      '[2024-04-03 08:00:00] Anna: New question about invoices',
      '[2024-04-09 16:00:00] Anna: Hello again',
    ]);
  });

  it('acknowledges and drops messages for an unlinked number; numbers route to their own account', async () => {
    const a = await linked();
    const b = await linked();
    const unlinked = await deliver(
      cloudPayload(phoneNumberId(), [{ id: wamid(), from: waId(), name: 'X', at: new Date(), text: 'nobody home' }]),
    );
    expect(unlinked.status).toBe(200);
    expect(unlinked.body).toMatchObject({ stored: 0, unlinked: 1 });

    const sameContact = waId();
    const sameId = wamid();
    expect(
      (await deliver(cloudPayload(a.number, [{ id: sameId, from: sameContact, name: 'C', at: new Date(), text: 'to A' }]))).body.stored,
    ).toBe(1);
    // The same contact and message id at another business number belong to that account alone.
    expect(
      (await deliver(cloudPayload(b.number, [{ id: sameId, from: sameContact, name: 'C', at: new Date(), text: 'to B' }]))).body.stored,
    ).toBe(1);
    const [ca] = await whatsappConversations(a.client);
    const [cb] = await whatsappConversations(b.client);
    expect(ca.content).toMatch(/to A$/);
    expect(cb.content).toMatch(/to B$/);
    expect((await b.client.get(`/v1/conversations/${ca.id}`)).status).toBe(404);

    // A number belongs to one account.
    const steal = await cli(['whatsapp', 'link', '--account', b.account.id, '--phone-number-id', a.number], env());
    expect(steal.code).toBe(1);
    expect(steal.stderr).toMatch(/linked to another account/);
    const unlink = await cli(['whatsapp', 'unlink', '--account', a.account.id, '--phone-number-id', a.number], env());
    expect(unlink.code, unlink.stderr).toBe(0);
    expect(
      (await deliver(cloudPayload(a.number, [{ id: wamid(), from: sameContact, name: 'C', at: new Date(), text: 'after unlink' }]))).body
        .unlinked,
    ).toBe(1);
  });

  it('answers 400 to a signed body that is not JSON, 405 to other methods', async () => {
    const res = await fetch(`${server.url}${WEBHOOK}`, {
      method: 'POST',
      headers: { 'X-Hub-Signature-256': signature(SECRET, 'not json') },
      body: 'not json',
    });
    expect(res.status).toBe(400);
    expect((await fetch(`${server.url}${WEBHOOK}`, { method: 'PUT', body: 'x' })).status).toBe(405);
  });
});

const ANDROID = `12/01/2024, 09:15 - Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them. Tap to learn more.
12/01/2024, 09:15 - Anna Schmidt: Hi Tom, are we still on for Friday?
12/01/2024, 09:17 - Tom: Yes! I will bring the contract.
It has two pages
and a signature line
13/01/2024, 18:02 - Anna Schmidt: IMG-20240113-WA0001.jpg (file attached)
13/01/2024, 18:03 - Anna Schmidt: Great, see you then
`;

const IOS = `[1/12/24, 9:15:03 AM] Anna Schmidt: \u200eMessages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them.
[1/12/24, 9:15:03 AM] Anna Schmidt: Hi Tom
[1/12/24, 9:17:45 PM] Tom: Sure
see you at 10
[1/13/24, 6:02:10 PM] Anna Schmidt: \u200e<attached: 00000012-PHOTO-2024-01-13-18-02-10.jpg>
`;

const importChat = (key: string | undefined, file: { bytes: Uint8Array | string; name: string }, extra: Record<string, string> = {}) =>
  postForm(`${server.url}/v1/conversations/import/whatsapp`, key, { file, ...extra });

describe('POST /v1/conversations/import/whatsapp', () => {
  it('imports an Android .txt export: participants, dates from the messages, multi-line messages', async () => {
    const { client, api_key } = await newAccount(server);
    const res = await importChat(api_key, { bytes: ANDROID, name: 'WhatsApp Chat with Tom.txt' });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ title: 'WhatsApp chat with Tom', source: 'whatsapp', status: 'processing' });
    expect(res.body.content).toBe(
      [
        '[2024-01-12 09:15:00] Anna Schmidt: Hi Tom, are we still on for Friday?',
        '[2024-01-12 09:17:00] Tom: Yes! I will bring the contract.',
        'It has two pages',
        'and a signature line',
        '[2024-01-13 18:02:00] Anna Schmidt: <attached: IMG-20240113-WA0001.jpg>',
        '[2024-01-13 18:03:00] Anna Schmidt: Great, see you then',
      ].join('\n'),
    );
    expect(res.body.metadata).toEqual({
      participants: ['Anna Schmidt', 'Tom'],
      date: '2024-01-12T09:15:00.000Z',
      first_message_at: '2024-01-12T09:15:00.000Z',
      last_message_at: '2024-01-13T18:03:00.000Z',
      message_count: 4,
      imported_from: 'WhatsApp Chat with Tom.txt',
    });
    const get = await client.get(`/v1/conversations/${res.body.id}`);
    expect(get.body.content).toBe(res.body.content);
  });

  it('imports an iOS export (12-hour clock, month first, system line dropped), with a title given', async () => {
    const { api_key } = await newAccount(server);
    const res = await importChat(api_key, { bytes: IOS, name: '_chat.txt' }, { title: 'Friday meeting' });
    expect(res.status, res.text).toBe(201);
    expect(res.body.title).toBe('Friday meeting');
    expect(res.body.content).toBe(
      [
        '[2024-01-12 09:15:03] Anna Schmidt: Hi Tom',
        '[2024-01-12 21:17:45] Tom: Sure',
        'see you at 10',
        '[2024-01-13 18:02:10] Anna Schmidt: <attached: 00000012-PHOTO-2024-01-13-18-02-10.jpg>',
      ].join('\n'),
    );
    expect(res.body.metadata).toMatchObject({
      participants: ['Anna Schmidt', 'Tom'],
      first_message_at: '2024-01-12T09:15:03.000Z',
      message_count: 3,
    });
  });

  it('imports a .zip with media as attachments', async () => {
    const { client, api_key, account } = await newAccount(server);
    const zip = await makeZip([
      { name: '_chat.txt', data: IOS },
      { name: '00000012-PHOTO-2024-01-13-18-02-10.jpg', data: PNG_1x1, store: true },
      { name: 'notes/voice.opus', data: Buffer.alloc(2000, 7) },
      { name: '__MACOSX/._chat.txt', data: 'resource fork' },
    ]);
    const res = await importChat(api_key, { bytes: zip, name: 'WhatsApp Chat - Tom.zip' });
    expect(res.status, res.text).toBe(201);
    expect(res.body.title).toBe('WhatsApp chat with Tom');
    const list = await client.get(`/v1/conversations/${res.body.id}/attachments`);
    expect(list.body.data.map((a: any) => [a.filename, a.size])).toEqual([
      ['00000012-PHOTO-2024-01-13-18-02-10.jpg', PNG_1x1.length],
      ['voice.opus', 2000],
    ]);
    expect(list.body.data[0].mime_type).toBe('image/png');
    expect(accountFiles(account.id)).toHaveLength(2);
  });

  it('imports through GraphQL too (multipart request)', async () => {
    const { api_key } = await newAccount(server);
    const res = await graphqlUpload(
      server.url,
      api_key,
      'mutation ($file: Upload!) { importWhatsAppChat(file: $file) { id title source metadata } }',
      {},
      { bytes: ANDROID, name: 'WhatsApp Chat with Tom.txt' },
    );
    expect(res.body.errors, res.text).toBeUndefined();
    expect(res.body.data.importWhatsAppChat).toMatchObject({
      title: 'WhatsApp chat with Tom',
      source: 'whatsapp',
      metadata: { message_count: 4 },
    });
    const bad = await graphqlUpload(
      server.url,
      api_key,
      'mutation ($file: Upload!) { importWhatsAppChat(file: $file) { id } }',
      {},
      { bytes: 'not a chat', name: 'x.txt' },
    );
    expect(bad.body.errors[0].extensions.code).toBe('validation_error');
  });

  it('refuses what is not a WhatsApp chat export with 422', async () => {
    const { client, api_key } = await newAccount(server);
    const cases = [
      { bytes: 'Meeting notes\nWe agreed on the budget.\n', name: 'notes.txt' },
      { bytes: PNG_1x1, name: 'photo.png' },
      { bytes: '', name: 'empty.txt' },
      { bytes: await makeZip([{ name: 'photo.jpg', data: PNG_1x1 }]), name: 'media.zip' },
      { bytes: Buffer.from('PK\u0003\u0004 this is not really a zip'), name: 'broken.zip' },
    ];
    for (const file of cases) {
      const res = await importChat(api_key, file);
      expect(res.status, `${file.name}: ${res.text}`).toBe(422);
      expect(res.body.error.code).toBe('validation_error');
      expect(res.body.error.details.fields.file).toHaveLength(1);
    }
    const noFile = await postForm(`${server.url}/v1/conversations/import/whatsapp`, api_key, { title: 'x' });
    expect(noFile.status).toBe(422);
    const json = await client.post('/v1/conversations/import/whatsapp', { file: 'x' });
    expect(json.status).toBe(415);
    expect((await client.get('/v1/conversations')).body.meta.total).toBe(0);
  });

  it('refuses zip bombs: too large when unpacked, too many entries, sizes that lie — nothing stored', async () => {
    const { client, api_key, account } = await newAccount(server);
    const big = await makeZip([
      { name: '_chat.txt', data: IOS },
      { name: 'zeros.bin', data: Buffer.alloc(300 * 1024) }, // 300 KB of zeros deflate to a few hundred bytes
    ]);
    expect(big.length).toBeLessThan(5000);
    const tooBig = await importChat(api_key, { bytes: big, name: 'bomb.zip' });
    expect(tooBig.status, tooBig.text).toBe(422);
    expect(tooBig.body.error.details.fields.file[0]).toMatch(/unpacks to more than/);

    const many = await makeZip([
      { name: '_chat.txt', data: IOS },
      ...Array.from({ length: 25 }, (_, i) => ({ name: `f${i}.jpg`, data: 'x' })),
    ]);
    const tooMany = await importChat(api_key, { bytes: many, name: 'many.zip' });
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.error.details.fields.file[0]).toMatch(/entries/);

    // Declares 100 bytes, holds 200 KB: found while reading, after the conversation was made — which is removed again.
    const liar = declareSize(
      await makeZip([
        { name: '_chat.txt', data: IOS },
        { name: 'a.jpg', data: PNG_1x1, store: true },
        { name: 'lie.bin', data: Buffer.alloc(200 * 1024, 1) },
      ]),
      'lie.bin',
      100,
    );
    const lying = await importChat(api_key, { bytes: liar, name: 'liar.zip' });
    expect(lying.status, lying.text).toBe(422);
    expect((await client.get('/v1/conversations')).body.meta.total).toBe(0);
    expect(accountFiles(account.id)).toEqual([]);
  });

  it('refuses entries with path traversal or absolute paths, writing nothing anywhere', async () => {
    const { client, api_key, account } = await newAccount(server);
    const before = filesUnder(dataDir).length;
    for (const [safe, evil] of [
      ['xx/evil.jpg', '../evil.jpg'],
      ['xevil.jpg', '/evil.jpg'],
      ['aa/bb/cc.jpg', '..\\..\\c.jpg'],
    ]) {
      const zip = renameEntry(
        await makeZip([
          { name: '_chat.txt', data: IOS },
          { name: safe!, data: PNG_1x1, store: true },
        ]),
        safe!,
        evil!.padEnd(safe!.length, 'x').slice(0, safe!.length),
      );
      const res = await importChat(api_key, { bytes: zip, name: 'evil.zip' });
      expect(res.status, `${evil}: ${res.text}`).toBe(422);
      expect(res.body.error.details.fields.file[0]).toMatch(/unsafe path/);
    }
    expect((await client.get('/v1/conversations')).body.meta.total).toBe(0);
    expect(accountFiles(account.id)).toEqual([]);
    expect(filesUnder(dataDir).length).toBe(before);
    expect(fs.existsSync(path.join(dataDir, '..', 'evil.jpg'))).toBe(false);
  });
});
