// Serialises inbound work on one key — a conversation a reply is appended to, a WhatsApp contact whose
// messages are being grouped — so that two deliveries never read the same content and both append to it.
// Within the process a promise chain per key; across processes a PostgreSQL advisory lock. Holding an
// advisory lock takes a pool connection while the work needs others, so at most a few keys are held at
// once per process (the rest wait in line here, not in the pool).
import crypto from 'node:crypto';
import type { App } from '../../app.js';

const chains = new Map<string, Promise<unknown>>();
const waiting: (() => void)[] = [];
let holders = 0;

function maxHolders(app: App): number {
  return Math.max(1, Math.min(4, Math.floor(app.config.databasePoolSize / 3)));
}

async function acquireSlot(app: App): Promise<void> {
  if (holders < maxHolders(app)) {
    holders++;
    return;
  }
  await new Promise<void>((resolve) => waiting.push(resolve));
}

function releaseSlot(): void {
  const next = waiting.shift();
  if (next) next();
  else holders--;
}

/** A stable 48-bit number for the advisory lock (its namespace: the text prefix `inbound:`). */
function lockNumber(key: string): number {
  return crypto.createHash('sha256').update(`inbound:${key}`).digest().readUIntBE(0, 6);
}

export async function withKeyLock<T>(app: App, key: string, fn: () => Promise<T>): Promise<T> {
  const previous = chains.get(key) ?? Promise.resolve();
  const run = previous
    .catch(() => {})
    .then(async () => {
      await acquireSlot(app);
      try {
        return await app.db.withLock(lockNumber(key), fn);
      } finally {
        releaseSlot();
      }
    });
  chains.set(key, run);
  try {
    return await run;
  } finally {
    if (chains.get(key) === run) chains.delete(key);
  }
}
