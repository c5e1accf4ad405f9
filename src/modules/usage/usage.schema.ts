// GraphQL face of usage statistics (docs/spec/api-reference.md, Account): `usage(from, to)`. REST serves
// the same field in snake_case as GET /v1/account/usage (usage.rest.ts).
import { builder } from '../../graphql/builder.js';
import { requireScope } from '../../graphql/context.js';
import { getUsage, type Usage } from './get-usage.js';

const UsagePeriodRef = builder.objectRef<Usage['period']>('UsagePeriod').implement({
  description: 'Whole UTC days, both included (YYYY-MM-DD).',
  fields: (t) => ({ from: t.exposeString('from'), to: t.exposeString('to') }),
});

const ConversationsBySourceRef = builder.objectRef<Usage['conversations']['bySource']>('ConversationsBySource').implement({
  fields: (t) => ({ email: t.exposeInt('email'), whatsapp: t.exposeInt('whatsapp'), api: t.exposeInt('api') }),
});

const ConversationUsageRef = builder.objectRef<Usage['conversations']>('ConversationUsage').implement({
  description: 'Conversations created in the period (and not deleted since).',
  fields: (t) => ({ total: t.exposeInt('total'), bySource: t.field({ type: ConversationsBySourceRef, resolve: (c) => c.bySource }) }),
});

const StorageByTypeRef = builder.objectRef<Usage['storage']['byType']>('StorageByType').implement({
  fields: (t) => ({
    conversations: t.exposeFloat('conversations'),
    attachments: t.exposeFloat('attachments'),
    exports: t.exposeFloat('exports'),
  }),
});

const StorageUsageRef = builder.objectRef<Usage['storage']>('StorageUsage').implement({
  description: 'Storage used now, in MB (1,048,576 bytes; two decimals); the total is rounded from the exact bytes.',
  fields: (t) => ({ totalMb: t.exposeFloat('totalMb'), byType: t.field({ type: StorageByTypeRef, resolve: (s) => s.byType }) }),
});

const ApiRequestUsageRef = builder.objectRef<Usage['apiRequests']>('ApiRequestUsage').implement({
  description: 'Authenticated requests answered in the period (not those refused with 429).',
  fields: (t) => ({
    total: t.exposeInt('total'),
    byEndpoint: t.expose('byEndpoint', {
      type: 'JSONObject',
      description:
        'Requests per endpoint group: /conversations, /search, /summaries, /attachments, /exports, /webhooks, /account, /graphql.',
    }),
    byClient: t.expose('byClient', {
      type: 'JSONObject',
      description:
        'Requests made with OAuth access tokens, per OAuth client id (oac_…); a part of the total. Requests with API keys are not listed; an app without requests in the period is absent.',
    }),
  }),
});

const UsageRef = builder.objectRef<Usage>('Usage').implement({
  description: 'Usage statistics of the account over a period.',
  fields: (t) => ({
    period: t.field({ type: UsagePeriodRef, resolve: (u) => u.period }),
    conversations: t.field({ type: ConversationUsageRef, resolve: (u) => u.conversations }),
    storage: t.field({ type: StorageUsageRef, resolve: (u) => u.storage }),
    apiRequests: t.field({ type: ApiRequestUsageRef, resolve: (u) => u.apiRequests }),
  }),
});

builder.queryFields((t) => ({
  usage: t.field({
    type: UsageRef,
    description: 'Usage over whole UTC days `from`..`to` (YYYY-MM-DD or ISO 8601; at most 366 days; default: the current month).',
    args: { from: t.arg.string(), to: t.arg.string() },
    resolve: (_r, args, ctx) => getUsage(ctx.app, requireScope(ctx), args),
  }),
}));
