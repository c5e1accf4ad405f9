// One queue per concern. Later concerns (indexing, webhooks, exports) add their names here.
export const QUEUES = ['summaries'] as const;
export type QueueName = (typeof QUEUES)[number];
