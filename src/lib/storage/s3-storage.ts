// S3-compatible backend (AWS S3, MinIO, R2, …): S3_BUCKET, S3_ENDPOINT, S3_REGION, credentials.
// Uploads stream through @aws-sdk/lib-storage (multipart in 5 MB parts; aborted on error, so a failed
// upload leaves nothing). The request/response mapping is in `s3Params` and tested on its own.
import { DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import type { FilesConfig } from '../../config.js';
import { assertKey, type ObjectStorage, type StoredObject } from './object-storage.js';

type S3Config = NonNullable<FilesConfig['s3']>;

/** Client settings for a configuration (pure: unit-tested). */
export function s3ClientConfig(c: S3Config): S3ClientConfig {
  return {
    region: c.region,
    ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    forcePathStyle: c.forcePathStyle,
    ...(c.accessKeyId && c.secretAccessKey ? { credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey } } : {}),
    // Checksums only when the operation requires them: S3-compatible servers differ in support.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

/** Our key → the bucket and object key (S3_PREFIX first, without doubled slashes). */
export function s3Location(c: S3Config, key: string): { Bucket: string; Key: string } {
  const prefix = c.prefix.replace(/^\/+|\/+$/g, '');
  return { Bucket: c.bucket, Key: prefix ? `${prefix}/${assertKey(key)}` : assertKey(key) };
}

export function isS3NotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === 'NoSuchKey' || err?.name === 'NotFound' || err?.$metadata?.httpStatusCode === 404;
}

export class S3Storage implements ObjectStorage {
  readonly kind = 's3' as const;
  private readonly client: S3Client;

  constructor(private readonly config: S3Config) {
    this.client = new S3Client(s3ClientConfig(config));
  }

  async put(key: string, body: Readable, contentType?: string): Promise<{ size: number }> {
    if (body.errored) throw body.errored;
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
    });
    // A stream error must fail the upload: lib-storage reads the body with its own iterator.
    const upload = new Upload({
      client: this.client,
      params: { ...s3Location(this.config, key), Body: body, ...(contentType ? { ContentType: contentType } : {}) },
      queueSize: 2,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (e) {
      // The body's own error (e.g. a size limit) is the cause, even if aborting the multipart upload
      // failed too (some S3-compatible servers do not implement AbortMultipartUpload).
      throw body.errored ?? e;
    }
    return { size };
  }

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand(s3Location(this.config, key)));
      return { stream: out.Body as Readable, size: Number(out.ContentLength ?? 0) };
    } catch (e) {
      if (isS3NotFound(e)) return undefined;
      throw e;
    }
  }

  async delete(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000).map((k) => ({ Key: s3Location(this.config, k).Key }));
      if (!batch.length) continue;
      await this.client.send(new DeleteObjectsCommand({ Bucket: this.config.bucket, Delete: { Objects: batch, Quiet: true } }));
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand(s3Location(this.config, key)));
      return true;
    } catch (e) {
      if (isS3NotFound(e)) return false;
      throw e;
    }
  }
}
