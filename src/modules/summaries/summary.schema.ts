// The Summary GraphQL type. A leaf among the schema files: conversations.schema.ts (a conversation's
// latest summary) and summaries.schema.ts both use it.
import { builder } from '../../graphql/builder.js';
import { ProcessingStatusEnum } from '../conversations/conversation-enums.schema.js';

export const SummaryRef = builder.prismaObject('Summary', {
  description: 'An AI summary of one version of a conversation.',
  fields: (t) => ({
    id: t.exposeID('id'),
    conversationId: t.exposeID('conversationId'),
    status: t.expose('status', { type: ProcessingStatusEnum }),
    language: t.exposeString('language', { nullable: true }),
    style: t.exposeString('style'),
    title: t.exposeString('title', { nullable: true }),
    content: t.exposeString('content', { nullable: true }),
    sentiment: t.exposeString('sentiment', { nullable: true }),
    topics: t.exposeStringList('topics'),
    actionItems: t.exposeStringList('actionItems'),
    provider: t.exposeString('provider', { nullable: true }),
    model: t.exposeString('model', { nullable: true }),
    error: t.exposeString('error', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true }),
  }),
});
