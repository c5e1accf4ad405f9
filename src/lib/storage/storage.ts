// Where attachment and export bytes live: one interface, two backends — local disk under DATA_DIR
// (default) and any S3-compatible store (S3_BUCKET). Everything is streamed: `put` consumes a stream,
// `get` returns one; nothing holds a whole file in memory.
import type { Config } from '../../config.js';
import type { ObjectStorage } from './object-storage.js';
import { createSigner, type UrlSigner } from './signing.js';

export { assertKey, type ObjectStorage, type StoredObject } from './object-storage.js';

export interface FileServices {
  storage: ObjectStorage;
  signer: UrlSigner;
}

const byApp = new WeakMap<object, Promise<FileServices>>();

/** The storage backend and URL signer of this process, created on first use. */
export function fileServices(app: { config: Config }): Promise<FileServices> {
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
