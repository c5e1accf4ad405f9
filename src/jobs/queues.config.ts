// The queue names: part of the configuration (WORKER_QUEUES is checked against them), so config.ts
// reads them from here and imports nothing from jobs/. One queue per concern.
export const QUEUES = ['summaries', 'webhooks', 'webhook-deliveries', 'exports', 'search'] as const;
export type QueueName = (typeof QUEUES)[number];
