// GraphQL face of conversations: types, queries and mutations. Resolvers only translate to services.
import DataLoader from 'dataloader';
import { builder } from '../../graphql/builder.js';
import { DeletionRef, pageArgs, pageRef } from '../../graphql/common.schema.js';
import { requestLoader, requireScope, type RequestContext } from '../../graphql/context.js';
import { SummaryRef } from '../summaries/summary.schema.js';
import { ConversationSourceEnum, ProcessingStatusEnum } from './conversation-enums.schema.js';
import type { ConversationRecord } from './conversation-record.js';
import { createConversation } from './create-conversation.js';
import { deleteConversation } from './delete-conversation.js';
import { listConversations } from './list-conversations.js';
import { getConversation, loadConversationBodies } from './load-conversation.js';
import { updateConversation } from './update-conversation.js';

export { ConversationSourceEnum, ProcessingStatusEnum } from './conversation-enums.schema.js';

const BODIES = {};
/** Content and metadata of list items that ask for them, loaded together once per request. */
function bodyLoader(ctx: RequestContext) {
  return requestLoader(
    ctx,
    BODIES,
    () =>
      new DataLoader<string, { content: string; metadata: Record<string, unknown> } | undefined>(async (ids) => {
        const found = await loadConversationBodies(ctx.app.db, requireScope(ctx), ids);
        return ids.map((id) => found.get(id));
      }),
  );
}

export const ConversationRef = builder.objectRef<ConversationRecord>('Conversation').implement({
  description: 'A conversation: an email thread, a chat, meeting notes, or anything sent through the API.',
  fields: (t) => ({
    id: t.exposeID('id'),
    title: t.exposeString('title'),
    content: t.string({
      resolve: async (c, _args, ctx) => c.content ?? (await bodyLoader(ctx).load(c.id))?.content ?? '',
    }),
    source: t.expose('source', { type: ConversationSourceEnum }),
    status: t.expose('status', { type: ProcessingStatusEnum }),
    metadata: t.field({
      type: 'JSONObject',
      resolve: async (c, _args, ctx) => c.metadata ?? (await bodyLoader(ctx).load(c.id))?.metadata ?? {},
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    summary: t.field({
      type: SummaryRef,
      nullable: true,
      description: 'The latest completed summary, or null while none has completed.',
      resolve: (c) => c.summary,
    }),
  }),
});

const ConversationPageRef = pageRef('ConversationPage', 'One page of conversations.', ConversationRef);

builder.queryFields((t) => ({
  conversation: t.field({
    type: ConversationRef,
    description: 'One conversation with its content, latest summary and attachments.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => getConversation(ctx.app.db, requireScope(ctx), String(args.id)),
  }),
  conversations: t.field({
    type: ConversationPageRef,
    description: 'A page of conversations, newest first unless `sort` says otherwise.',
    args: {
      ...pageArgs(),
      status: t.arg({ type: ProcessingStatusEnum }),
      source: t.arg({ type: ConversationSourceEnum }),
      search: t.arg.string({ description: 'Words to find in the title and content.' }),
      sort: t.arg.string({ description: 'created_at, -created_at (default), updated_at or -updated_at.' }),
    },
    resolve: (_root, args, ctx) => listConversations(ctx.app, requireScope(ctx), withoutNulls(args), `${ctx.baseUrl}/v1/conversations`),
  }),
}));

builder.mutationFields((t) => ({
  createConversation: t.field({
    type: ConversationRef,
    description: 'Stores a conversation and starts its summary.',
    args: {
      title: t.arg.string({ required: true }),
      content: t.arg.string({ required: true }),
      source: t.arg({ type: ConversationSourceEnum, description: 'Defaults to api.' }),
      metadata: t.arg({ type: 'JSONObject', description: 'Free-form JSON object, at most 16 KB.' }),
    },
    resolve: (_root, args, ctx) => createConversation(ctx.app, requireScope(ctx), withoutNulls(args)),
  }),
  updateConversation: t.field({
    type: ConversationRef,
    description: 'Changes title, content or metadata. Metadata is merged (JSON Merge Patch: null removes a key).',
    args: {
      id: t.arg.id({ required: true }),
      title: t.arg.string(),
      content: t.arg.string(),
      metadata: t.arg({ type: 'JSONObject' }),
    },
    // Explicit nulls reach the service: null metadata clears it, a null title is refused there.
    resolve: (_root, { id, ...args }, ctx) => updateConversation(ctx.app, requireScope(ctx), String(id), args),
  }),
  deleteConversation: t.field({
    type: DeletionRef,
    description: 'Deletes a conversation permanently, with its summaries, attachments and search entries.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => deleteConversation(ctx.app, requireScope(ctx), String(args.id)),
  }),
}));

/** GraphQL gives explicit nulls for omitted optional arguments only when sent; services want undefined. */
function withoutNulls<T extends Record<string, unknown>>(args: T): { [K in keyof T]: Exclude<T[K], null> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) if (v !== null) out[k] = v;
  return out as { [K in keyof T]: Exclude<T[K], null> };
}
