import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.js';
import './common.schema.js';
import '../modules/conversations/conversations.schema.js';
import '../modules/search/search.schema.js';
import '../modules/summaries/summaries.schema.js';
import '../modules/conversations/conversation-events.schema.js';
import '../modules/accounts/api-keys.schema.js';
import '../modules/accounts/account.schema.js';
import '../modules/usage/usage.schema.js';
import '../modules/webhooks/webhooks.schema.js';
import '../modules/attachments/attachments.schema.js';
import '../modules/exports/exports.schema.js';
import '../modules/inbound/inbound.schema.js';
import '../modules/oauth/oauth-clients.schema.js';

export const schema = builder.toSchema({ sortSchema: false });

/** The committed `schema.graphql`: sorted, so that diffs show real changes only. */
export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
