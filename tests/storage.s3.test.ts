// The S3 backend against s3rver (an S3-compatible server from npm, run in this process), or against a
// real endpoint when S3_TEST_ENDPOINT/S3_TEST_BUCKET/S3_TEST_ACCESS_KEY_ID/S3_TEST_SECRET_ACCESS_KEY are set.
// Then the attachment routes end to end with S3 storage.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Storage } from '../src/lib/storage/s3-storage.js';
import { PNG_1x1, uploadFile } from './helpers/files.js';
import { dropPrefix, parkedJobsEnv } from './helpers/jobs.js';
import { newAccount, startTestServer, type TestServer } from './helpers/server.js';

let s3: { endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string };
let s3rver: S3rver | undefined;
let dir: string;
let server: TestServer;
const jobs = parkedJobsEnv();

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amc-s3-'));
  if (process.env.S3_TEST_ENDPOINT) {
    s3 = {
      endpoint: process.env.S3_TEST_ENDPOINT,
      bucket: process.env.S3_TEST_BUCKET ?? 'aimychats-test',
      accessKeyId: process.env.S3_TEST_ACCESS_KEY_ID ?? '',
      secretAccessKey: process.env.S3_TEST_SECRET_ACCESS_KEY ?? '',
    };
  } else {
    s3rver = new S3rver({
      port: 0,
      address: '127.0.0.1',
      silent: true,
      directory: path.join(dir, 's3'),
      configureBuckets: [{ name: 'amc-test', configs: [] }],
    });
    const { port } = (await s3rver.run()) as AddressInfo;
    s3 = { endpoint: `http://127.0.0.1:${port}`, bucket: 'amc-test', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  }
  server = await startTestServer({
    ...jobs,
    DATA_DIR: dir,
    MAX_UPLOAD_BYTES: '6000000',
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: s3.bucket,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    S3_PREFIX: 'run1',
  });
});
afterAll(async () => {
  await server?.stop();
  await s3rver?.close();
  await dropPrefix(15, jobs.QUEUE_PREFIX);
  fs.rmSync(dir, { recursive: true, force: true });
});

const storage = () => new S3Storage({ ...s3, region: 'us-east-1', forcePathStyle: true, prefix: 'direct' });

describe('S3Storage', () => {
  it('streams objects in and out, and deletes them', async () => {
    const st = storage();
    const big = Buffer.alloc(6 * 1024 * 1024 + 123, 7); // over one 5 MB part: a multipart upload
    expect(await st.put('t/one', Readable.from([big.subarray(0, 3_000_000), big.subarray(3_000_000)]))).toEqual({ size: big.length });
    expect(await st.exists('t/one')).toBe(true);
    const got = await st.get('t/one');
    expect(got?.size).toBe(big.length);
    const chunks: Buffer[] = [];
    for await (const c of got!.stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(big)).toBe(true);
    await st.delete(['t/one', 't/missing']);
    expect(await st.exists('t/one')).toBe(false);
    expect(await st.get('t/one')).toBeUndefined();
  });

  it('leaves nothing when the body fails part-way', async () => {
    const st = storage();
    let sent = 0;
    const failing = new Transform({
      transform(chunk, _e, done) {
        sent += chunk.length;
        done(sent > 6_000_000 ? new Error('limit') : null, chunk);
      },
    });
    Readable.from([Buffer.alloc(3_000_000), Buffer.alloc(3_000_000), Buffer.alloc(3_000_000)]).pipe(failing);
    await expect(st.put('t/partial', failing)).rejects.toThrow('limit');
    expect(await st.exists('t/partial')).toBe(false);
  });
});

describe('attachments on S3', () => {
  it('upload, download through the signed link, delete', async () => {
    const { client, api_key } = await newAccount(server);
    const conv = (await client.post('/v1/conversations', { title: 't', content: 'c' })).body.id;
    const up = await uploadFile(server.url, api_key, conv, { file: { bytes: PNG_1x1, name: 'p.png' } });
    expect(up.status, up.text).toBe(201);
    expect(up.body.mime_type).toBe('image/png');
    const dl = await fetch(up.body.url);
    expect(dl.status).toBe(200);
    expect(Buffer.from(await dl.arrayBuffer())).toEqual(PNG_1x1);
    expect(fs.existsSync(path.join(dir, 'files'))).toBe(false); // nothing on local disk
    const tooBig = await uploadFile(server.url, api_key, conv, { file: { bytes: new Uint8Array(6_000_001), name: 'big.bin' } });
    expect(tooBig.status).toBe(413);
    expect((await client.delete(`/v1/attachments/${up.body.id}`)).status).toBe(200);
    expect((await fetch(up.body.url)).status).toBe(404);
    expect((await client.get(`/v1/conversations/${conv}/attachments`)).body.data).toEqual([]);
  });
});
