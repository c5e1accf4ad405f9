// GraphQL subscriptions (over SSE and WebSocket): an account's stream of conversation events, and
// the successive states of one conversation. Streams are keyed by the subscriber's account, so an
// account never receives another account's events.
import { builder } from '../../graphql/builder.js';
import { requireScope, type RequestContext } from '../../graphql/context.js';
import { isAppError } from '../../lib/errors.js';
import { EVENT_TYPES, type AppEvent } from '../../lib/events.js';
import { ConversationRef } from './conversations.schema.js';
import { getConversation } from './load-conversation.js';
import type { ConversationRecord } from './conversation-record.js';

const ConversationEventRef = builder.objectRef<AppEvent>('ConversationEvent').implement({
  description: "Something that happened to one of the account's conversations.",
  fields: (t) => ({
    id: t.exposeID('id', { description: 'evt_…' }),
    type: t.exposeString('type', { description: `One of: ${EVENT_TYPES.join(', ')}.` }),
    conversationId: t.exposeID('conversationId'),
    summaryId: t.exposeID('summaryId', { nullable: true, description: 'For summary events.' }),
    createdAt: t.field({ type: 'DateTime', resolve: (e) => new Date(e.createdAt) }),
    conversation: t.field({
      type: ConversationRef,
      nullable: true,
      description: 'The conversation as it is now; null once deleted.',
      resolve: (e, _args, ctx) => currentConversation(ctx, e.conversationId),
    }),
  }),
});

async function currentConversation(ctx: RequestContext, id: string): Promise<ConversationRecord | null> {
  try {
    return await getConversation(ctx.app.db, requireScope(ctx), id);
  } catch (e) {
    if (isAppError(e) && e.code === 'not_found') return null;
    throw e;
  }
}

/** The conversation after each change; the stream ends when it is deleted. */
async function* conversationStates(ctx: RequestContext, id: string): AsyncGenerator<ConversationRecord> {
  const scope = requireScope(ctx);
  await getConversation(ctx.app.db, scope, id); // 404 for a foreign or unknown id
  for await (const e of ctx.app.events.subscribe(scope.accountId)) {
    if (e.conversationId !== id) continue;
    if (e.type === 'conversation.deleted') return;
    if (e.type !== 'conversation.updated') continue;
    const c = await currentConversation(ctx, id);
    if (!c) return;
    yield c;
  }
}

builder.subscriptionFields((t) => ({
  conversationEvents: t.field({
    type: ConversationEventRef,
    description: `Every event of the account's conversations: ${EVENT_TYPES.join(', ')}.`,
    subscribe: (_root, _args, ctx) => ctx.app.events.subscribe(requireScope(ctx).accountId),
    resolve: (e) => e,
  }),
  conversationUpdated: t.field({
    type: ConversationRef,
    description: 'The conversation each time it changes (content, title, metadata, summary status); ends when it is deleted.',
    args: { id: t.arg.id({ required: true }) },
    subscribe: (_root, args, ctx) => conversationStates(ctx, String(args.id)),
    resolve: (c) => c,
  }),
}));
