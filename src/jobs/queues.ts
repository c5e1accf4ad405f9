// One queue per concern. Later concerns (indexing, exports) add their names here.
import type { Config } from '../config.js';

export const QUEUES = ['summaries', 'webhooks', 'webhook-deliveries', 'exports', 'search'] as const;
export type QueueName = (typeof QUEUES)[number];

/**
 * Jobs run at once per worker process on one queue. Webhook fan-outs and delivery attempts mostly
 * wait (on the database, on other people's servers), so they get their own (larger) limits: a slow
 * endpoint must not hold up the rest, and summaries (CPU) must not hold up the outbox.
 */
export function queueConcurrency(config: Config, queue: QueueName): number {
  if (queue === 'webhook-deliveries') return config.webhooks.deliveryConcurrency;
  // The fan-out is a few short statements per event: it waits on the database, it does not compute.
  if (queue === 'webhooks') return config.webhooks.dispatchConcurrency;
  return config.jobs.concurrency;
}
