// The interface both storage backends implement. A leaf: storage.ts loads the backends lazily, and
// they import only this.
import type { Readable } from 'node:stream';

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
