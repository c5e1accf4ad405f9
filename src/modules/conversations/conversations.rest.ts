// The documented /v1 routes for conversations (docs/spec/api-reference.md), and the shape of their responses.
import type { RestRoute, RestShape } from '../../rest/route-types.js';

export const conversationRoutes: RestRoute[] = [
  { field: 'Query.conversations', method: 'GET', path: '/conversations', summary: 'List conversations' },
  { field: 'Mutation.createConversation', method: 'POST', path: '/conversations', status: 201, summary: 'Create a conversation' },
  { field: 'Query.conversation', method: 'GET', path: '/conversations/:id', summary: 'Get a conversation' },
  { field: 'Mutation.updateConversation', method: 'PATCH', path: '/conversations/:id', summary: 'Update a conversation' },
  { field: 'Mutation.deleteConversation', method: 'DELETE', path: '/conversations/:id', summary: 'Delete a conversation' },
];

export const conversationShape: RestShape = {
  projections: {
    ConversationListItem: { of: 'Conversation', fields: ['id', 'title', 'source', 'status', 'createdAt', 'updatedAt', 'summary'] },
    SummaryPreview: { of: 'Summary', fields: ['title', 'content', 'sentiment', 'topics'] },
    ConversationSummary: { of: 'Summary', fields: ['title', 'content', 'sentiment', 'topics', 'actionItems'] },
  },
  retarget: {
    'ConversationPage.data': 'ConversationListItem',
    'ConversationListItem.summary': 'SummaryPreview',
    'Conversation.summary': 'ConversationSummary',
  },
};
