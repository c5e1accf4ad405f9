// Account-scoped change events for GraphQL subscriptions: conversation events, and export events on a
// topic of their own (so `conversationEvents` never carries them). With REDIS_URL they travel over Redis
// pub/sub, so an event published by a worker or another API instance reaches every subscriber;
// otherwise they stay in this process (development mode). Publishing never fails the caller.
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, type PubSub } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { newId } from './ids.js';
import type { Logger } from './logger.js';
import { createRedis, redisOptionsFromUrl, redisReady } from './redis.js';

export const EVENT_TYPES = [
  'conversation.created',
  'conversation.updated',
  'conversation.deleted',
  'summary.generated',
  'summary.failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface AppEvent {
  id: string;
  type: EventType;
  accountId: string;
  conversationId: string;
  summaryId: string | null;
  /** ISO 8601 */
  createdAt: string;
}

/** The export events (`exportUpdated`): an export reached a terminal status. */
export const EXPORT_EVENT_TYPES = ['export.completed', 'export.failed'] as const;
export type ExportEventType = (typeof EXPORT_EVENT_TYPES)[number];

export interface ExportEvent {
  id: string;
  type: ExportEventType;
  accountId: string;
  exportId: string;
  /** ISO 8601 */
  createdAt: string;
}

type Topics = Record<string, [accountId: string, event: AppEvent | ExportEvent]>;

export class EventBus {
  private readonly pubsub: PubSub<Topics>;
  private readonly clients: Redis[] = [];
  private readonly ready: Promise<void>;
  /** The topic (a Redis channel prefix): pub/sub channels ignore the database number, so it carries it. */
  private readonly topic: string;

  constructor(
    config: Config,
    private readonly log: Logger,
  ) {
    this.topic = config.redisUrl ? `${config.jobs.prefix}:db${redisOptionsFromUrl(config.redisUrl).db}:events` : 'events';
    if (!config.redisUrl) {
      this.pubsub = createPubSub<Topics>();
      this.ready = Promise.resolve();
      return;
    }
    const publish = createRedis(config.redisUrl, { connectionName: 'aimychats:events:pub' });
    const subscribe = createRedis(config.redisUrl, { connectionName: 'aimychats:events:sub' });
    for (const c of [publish, subscribe]) c.on('error', (err) => log.warn({ err }, 'events: Redis connection error'));
    this.clients.push(publish, subscribe);
    // The subscriber must be ready before its first SUBSCRIBE, or that subscription is silently lost
    // (@graphql-yoga/redis-event-target 3 with ioredis).
    this.ready = redisReady(subscribe).catch((err) => log.warn({ err }, 'events: subscriber not ready'));
    const catching = (what: string) => (err: unknown) => log.warn({ err }, `events: ${what} failed`);
    this.pubsub = createPubSub<Topics>({
      eventTarget: createRedisEventTarget<any>({
        publishClient: { publish: (ch: string, msg: string) => publish.publish(ch, msg).catch(catching('publish')) } as unknown as Redis,
        subscribeClient: {
          on: (event: string, fn: (...a: any[]) => void) => subscribe.on(event, fn),
          subscribe: (ch: string) => subscribe.subscribe(ch).catch(catching('subscribe')),
          unsubscribe: (ch: string) => subscribe.unsubscribe(ch).catch(catching('unsubscribe')),
        } as unknown as Redis,
      }),
    });
  }

  /** Resolves once subscriptions can be taken (immediately without Redis). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** `id`/`createdAt` are the outbox event's (modules/webhooks/dispatch-event.ts publishes every dispatched event). */
  publish(
    type: EventType,
    e: { accountId: string; conversationId: string; summaryId?: string | null; id?: string; createdAt?: Date },
  ): void {
    const event: AppEvent = {
      id: e.id ?? newId('event'),
      type,
      accountId: e.accountId,
      conversationId: e.conversationId,
      summaryId: e.summaryId ?? null,
      createdAt: (e.createdAt ?? new Date()).toISOString(),
    };
    try {
      this.pubsub.publish(this.topic, e.accountId, event);
    } catch (err) {
      this.log.warn({ err, type }, 'events: publish failed');
    }
  }

  /** An export of the account reached a terminal status (the outbox event's `id`/`createdAt`). */
  publishExport(type: ExportEventType, e: { accountId: string; exportId: string; id?: string; createdAt?: Date }): void {
    const event: ExportEvent = {
      id: e.id ?? newId('event'),
      type,
      accountId: e.accountId,
      exportId: e.exportId,
      createdAt: (e.createdAt ?? new Date()).toISOString(),
    };
    try {
      this.pubsub.publish(this.exportTopic, e.accountId, event);
    } catch (err) {
      this.log.warn({ err, type }, 'events: publish failed');
    }
  }

  /** Every conversation event of one account, from now on. */
  subscribe(accountId: string): AsyncGenerator<AppEvent> {
    return this.stream<AppEvent>(this.topic, accountId);
  }

  /** Every export event of one account, from now on. */
  subscribeExports(accountId: string): AsyncGenerator<ExportEvent> {
    return this.stream<ExportEvent>(this.exportTopic, accountId);
  }

  private get exportTopic(): string {
    return `${this.topic}:exports`;
  }

  /**
   * A plain iterator over the pub/sub source rather than an async generator: `return()` must end a
   * stream that is waiting for its next event at once (a generator would queue it behind that event).
   */
  private stream<T extends AppEvent | ExportEvent>(topic: string, accountId: string): AsyncGenerator<T> {
    let source: AsyncIterator<T> | undefined;
    let closed = false;
    const done = (): IteratorReturnResult<undefined> => ({ done: true, value: undefined });
    const open = async () => {
      await this.ready;
      if (!source && !closed) {
        source = this.pubsub.subscribe(topic, accountId)[Symbol.asyncIterator]() as AsyncIterator<T>;
        this.active.add(source);
      }
      return source;
    };
    const close = async () => {
      closed = true;
      if (!source) return done();
      this.active.delete(source);
      await source.return?.();
      return done();
    };
    const it: AsyncGenerator<T> = {
      next: async () => {
        const s = await open();
        if (!s || closed) return done();
        const r = await s.next();
        if (r.done) this.active.delete(s);
        return r;
      },
      return: close,
      throw: async (err: unknown) => {
        await close();
        throw err;
      },
      [Symbol.asyncIterator]: () => it,
      [Symbol.asyncDispose]: async () => void (await close()),
    } as AsyncGenerator<T>;
    return it;
  }

  private readonly active = new Set<AsyncIterator<AppEvent | ExportEvent>>();

  /** Ends every open subscription stream (graceful shutdown). */
  async endSubscriptions(): Promise<void> {
    await Promise.allSettled([...this.active].map((it) => it.return?.()));
  }

  async close(): Promise<void> {
    await this.endSubscriptions();
    for (const c of this.clients.splice(0)) c.disconnect();
  }
}
