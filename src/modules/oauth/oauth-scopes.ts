// The OAuth scopes (docs/oauth.md, scopes table) and the one table saying which scope each GraphQL root
// field needs. REST routes name their GraphQL field (rest/routes.ts), so a route needs its field's scope.
// A field mapped to null, or missing here, is for API keys only: an OAuth token gets 403 forbidden.
import type { OAuthGrantInfo } from '../../lib/account-scope.js';
import { AppError } from '../../lib/errors.js';

export const OAUTH_SCOPES = [
  'conversations:read',
  'conversations:write',
  'summaries:write',
  'exports:write',
  'webhooks:manage',
  'account:read',
] as const;
export type OAuthScope = (typeof OAUTH_SCOPES)[number];

export const SCOPE_DESCRIPTIONS: Record<OAuthScope, string> = {
  'conversations:read': 'Read your conversations, their summaries and attachments, search them, and follow their changes',
  'conversations:write': 'Create, change and delete conversations and attachments, import chats',
  'summaries:write': 'Ask for summaries to be (re)generated',
  'exports:write': 'Export conversations and download the exports',
  'webhooks:manage': 'Create, change, test and delete webhooks and read their deliveries',
  'account:read': 'Read your account information and usage',
};

export const FIELD_SCOPES: Record<string, OAuthScope | null> = {
  'Query.account': 'account:read',
  'Query.usage': 'account:read',
  'Query.apiKeys': null,
  'Mutation.createApiKey': null,
  'Mutation.revokeApiKey': null,
  'Mutation.createInboundEmailToken': null,
  'Query.oauthClients': null,
  'Mutation.createOAuthClient': null,
  'Mutation.revokeOAuthClient': null,
  'Query.conversations': 'conversations:read',
  'Query.conversation': 'conversations:read',
  'Query.conversationAttachments': 'conversations:read',
  'Query.conversationSummaries': 'conversations:read',
  'Query.searchConversations': 'conversations:read',
  'Query.summary': 'conversations:read',
  'Subscription.conversationEvents': 'conversations:read',
  'Subscription.conversationUpdated': 'conversations:read',
  'Mutation.createConversation': 'conversations:write',
  'Mutation.updateConversation': 'conversations:write',
  'Mutation.deleteConversation': 'conversations:write',
  'Mutation.uploadAttachment': 'conversations:write',
  'Mutation.deleteAttachment': 'conversations:write',
  'Mutation.ingestEmail': 'conversations:write',
  'Mutation.importWhatsAppChat': 'conversations:write',
  'Mutation.regenerateSummary': 'summaries:write',
  'Query.exports': 'exports:write',
  'Query.export': 'exports:write',
  'Mutation.createExport': 'exports:write',
  'Subscription.exportUpdated': 'exports:write',
  'Query.webhooks': 'webhooks:manage',
  'Query.webhook': 'webhooks:manage',
  'Query.webhookDeliveries': 'webhooks:manage',
  'Mutation.createWebhook': 'webhooks:manage',
  'Mutation.updateWebhook': 'webhooks:manage',
  'Mutation.deleteWebhook': 'webhooks:manage',
  'Mutation.rotateWebhookSecret': 'webhooks:manage',
  'Mutation.testWebhook': 'webhooks:manage',
};

/** The resource indicator (RFC 8707) of our API: every access token is for it. */
export const resourceOf = (issuer: string) => `${issuer}/v1`;

export type { OAuthGrantInfo };

/** Throws 403 forbidden when an OAuth token lacks the scope `field` needs; API keys pass. */
export function assertFieldScope(oauth: OAuthGrantInfo | undefined, field: string): void {
  if (!oauth) return;
  const needed = FIELD_SCOPES[field];
  if (needed && oauth.scopes.includes(needed)) return;
  const name = field.split('.')[1];
  throw needed
    ? new AppError('forbidden', `This access token lacks the ${needed} scope needed for ${name}`, { required_scope: needed })
    : new AppError('forbidden', `${name} needs an API key; OAuth access tokens cannot use it`);
}
