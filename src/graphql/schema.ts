import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.js';
import './common.schema.js';
import '../modules/conversations/conversations.schema.js';
import '../modules/search/search.schema.js';
import '../modules/summaries/summaries.schema.js';
import '../modules/conversations/conversation-events.schema.js';
import '../modules/accounts/api-keys.schema.js';

export const schema = builder.toSchema({ sortSchema: false });

/** The committed `schema.graphql`: sorted, so that diffs show real changes only. */
export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
