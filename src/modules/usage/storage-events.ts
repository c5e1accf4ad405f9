// The one place storage events are recorded. `storage.limit_reached` is written in the transaction of
// the write that crossed 80%; `storage.limit_exceeded` in a transaction of its own (the refused write
// has none).
import type { App } from '../../app.js';
import type { Logger } from '../../lib/logger.js';
import { dispatchAfterCommit, recordEvent, type EventWriter, type OutboxEvent } from '../webhooks/record-event.js';
import { toMb } from './storage-usage.js';

export type StorageEventType = 'storage.limit_reached' | 'storage.limit_exceeded';

export interface StorageEventData {
  usedBytes: number;
  limitBytes: number;
  /** For a refusal: what the refused write would have added. */
  requestedBytes?: number;
  /** attachment, conversation, export. */
  resource: string;
}

export async function recordStorageEvent(
  tx: EventWriter,
  log: Logger,
  accountId: string,
  type: StorageEventType,
  d: StorageEventData,
): Promise<OutboxEvent> {
  const data = {
    used_mb: toMb(d.usedBytes),
    limit_mb: toMb(d.limitBytes),
    ...(d.requestedBytes !== undefined ? { requested_mb: toMb(d.requestedBytes) } : {}),
    resource: d.resource,
  };
  log.info({ accountId, type, data }, 'storage event');
  return recordEvent(tx, { accountId, type, data });
}

export async function recordRefusal(app: App, log: Logger, accountId: string, d: StorageEventData): Promise<void> {
  try {
    const event = await app.db.prisma.$transaction((tx) => recordStorageEvent(tx, log, accountId, 'storage.limit_exceeded', d));
    await dispatchAfterCommit(app, event);
  } catch (err) {
    log.warn({ err }, 'could not record storage.limit_exceeded');
  }
}
