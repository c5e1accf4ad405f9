// GraphQL face of summaries: regenerate, read one, list a conversation's history.
import { builder } from '../../graphql/builder.js';
import { pageArgs, pageRef } from '../../graphql/common.schema.js';
import { requireScope } from '../../graphql/context.js';
import { SummaryRef } from './summary.schema.js';
import { getSummary } from './get-summary.js';
import { listSummaries } from './list-summaries.js';
import { requestSummary } from './request-summary.js';
import { STYLES } from './summary-input.js';

export const SummaryStyleEnum = builder.enumType('SummaryStyle', {
  description: 'How a summary is written.',
  values: STYLES,
});

const SummaryPageRef = pageRef('SummaryPage', "One page of a conversation's summaries, newest first.", SummaryRef);

builder.queryFields((t) => ({
  summary: t.field({
    type: SummaryRef,
    description: 'One summary; poll it until `status` is no longer processing.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => getSummary(ctx.app.db, requireScope(ctx), String(args.id)),
  }),
  conversationSummaries: t.field({
    type: SummaryPageRef,
    description: 'Every summary of a conversation, newest first.',
    args: {
      conversationId: t.arg.id({ required: true }),
      ...pageArgs(),
    },
    resolve: (_root, { conversationId, page, perPage }, ctx) =>
      listSummaries(
        ctx.app.db,
        requireScope(ctx),
        String(conversationId),
        { page: page ?? undefined, perPage: perPage ?? undefined },
        `${ctx.baseUrl}/v1/conversations/${encodeURIComponent(String(conversationId))}/summaries`,
      ),
  }),
}));

builder.mutationFields((t) => ({
  regenerateSummary: t.field({
    type: SummaryRef,
    description: "Starts a new summary of the conversation's current content and returns it while it is processing.",
    args: {
      conversationId: t.arg.id({ required: true }),
      language: t.arg.string({ description: "ISO 639-1 code; defaults to the conversation's detected language." }),
      style: t.arg({ type: SummaryStyleEnum, description: 'Defaults to concise.' }),
    },
    resolve: (_root, { conversationId, language, style }, ctx) =>
      requestSummary(ctx.app, requireScope(ctx), String(conversationId), { language: language ?? undefined, style: style ?? undefined }),
  }),
}));
