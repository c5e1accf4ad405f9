// Local disk backend: DATA_DIR/files/<key>. A file is written under a temporary name and renamed into
// place when complete, so a reader never sees a partial file and a failed upload leaves nothing.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertKey, type ObjectStorage, type StoredObject } from './object-storage.js';

export class LocalStorage implements ObjectStorage {
  readonly kind = 'local' as const;
  readonly root: string;

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'files');
  }

  pathOf(key: string): string {
    return path.join(this.root, ...assertKey(key).split('/'));
  }

  async put(key: string, body: Readable): Promise<{ size: number }> {
    const target = this.pathOf(key);
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    // The body may have failed (e.g. a size limit) while the directory was being made.
    if (body.errored) throw body.errored;
    const tmp = `${target}.${crypto.randomBytes(6).toString('hex')}.partial`;
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
    });
    try {
      await pipeline(body, fs.createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
      await fs.promises.rename(tmp, target);
      return { size };
    } catch (e) {
      await fs.promises.rm(tmp, { force: true });
      throw e;
    }
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const file = this.pathOf(key);
    try {
      const handle = await fs.promises.open(file, 'r');
      const { size } = await handle.stat();
      return { stream: handle.createReadStream(), size };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async delete(keys: string[]): Promise<void> {
    await Promise.all(keys.map((k) => fs.promises.rm(this.pathOf(k), { force: true })));
  }

  async exists(key: string): Promise<boolean> {
    try {
      await fs.promises.access(this.pathOf(key));
      return true;
    } catch {
      return false;
    }
  }
}
