// Where attachment and export bytes live: one interface, two backends — local disk under DATA_DIR
// (default) and any S3-compatible store (S3_BUCKET). Everything is streamed: `put` consumes a stream,
// `get` returns one; nothing holds a whole file in memory.
import type { Readable } from 'node:stream';
import type { App } from '../../app.js';
import { createSigner, type UrlSigner } from './signing.js';

export interface StoredObject {
  stream: Readable;
  size: number;
}

export interface ObjectStorage {
  readonly kind: 'local' | 's3';
  /**
   * Streams `body` into `key`. On any error (including one the body stream raises, e.g. a size limit)
   * nothing is left under `key` and the error is rethrown. Resolves with the bytes written.
   */
  put(key: string, body: Readable, contentType?: string): Promise<{ size: number }>;
  /** The object's bytes, or undefined when there is no such object. */
  get(key: string): Promise<StoredObject | undefined>;
  /** Removes the objects; missing ones are not an error. */
  delete(keys: string[]): Promise<void>;
  exists(key: string): Promise<boolean>;
}

/** Keys are built from ids only; anything else is a bug, never user input reaching the disk. */
const KEY = /^[a-z0-9_-]+(\/[a-z0-9_.-]+)*$/;

export function assertKey(key: string): string {
  if (!KEY.test(key) || key.split('/').some((s) => s === '.' || s === '..')) throw new Error(`invalid storage key: ${key}`);
  return key;
}

export interface FileServices {
  storage: ObjectStorage;
  signer: UrlSigner;
}

const byApp = new WeakMap<object, Promise<FileServices>>();

/** The storage backend and URL signer of this process, created on first use. */
export function fileServices(app: Pick<App, 'config' | 'log'>): Promise<FileServices> {
  let services = byApp.get(app);
  if (!services) {
    services = (async () => {
      const s3 = app.config.files.s3;
      const storage: ObjectStorage = s3
        ? new (await import('./s3-storage.js')).S3Storage(s3)
        : new (await import('./local-storage.js')).LocalStorage(app.config.dataDir);
      return { storage, signer: await createSigner(app.config) };
    })();
    // A failure (e.g. an unwritable DATA_DIR) is retried by the next request rather than cached.
    services.catch(() => byApp.delete(app));
    byApp.set(app, services);
  }
  return services;
}
