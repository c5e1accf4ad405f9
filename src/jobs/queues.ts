// One queue per concern. Later concerns (indexing, exports) add their names here.
import type { Config } from '../config.js';

export const QUEUES = ['summaries', 'webhooks', 'webhook-deliveries', 'exports', 'search'] as const;
export type QueueName = (typeof QUEUES)[number];

/**
 * Jobs run at once per worker process on one queue. Webhook delivery attempts mostly wait on other
 * people's servers, so they get their own (larger) limit: a slow endpoint must not hold up the rest.
 */
export function queueConcurrency(config: Config, queue: QueueName): number {
  return queue === 'webhook-deliveries' ? config.webhooks.deliveryConcurrency : config.jobs.concurrency;
}
