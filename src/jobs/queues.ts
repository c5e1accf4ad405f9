// One queue per concern; their names are in queues.config.ts.
import type { Config } from '../config.js';
import type { QueueName } from './queues.config.js';

export { QUEUES, type QueueName } from './queues.config.js';

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
