// GraphQL face of exports: create, read, list, and the `exportUpdated` subscription. REST serves the
// same fields (exports.rest.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Export } from '../../generated/prisma/client.js';
import { builder } from '../../graphql/builder.js';
import { pageArgs, pageRef } from '../../graphql/common.schema.js';
import { requireScope, type RequestContext } from '../../graphql/context.js';
import { fileServices } from '../../lib/storage/storage.js';
import { ProcessingStatusEnum } from '../conversations/conversations.schema.js';
import { SearchFiltersInput } from '../search/search.schema.js';
import { createExport, getExport, listExports } from './exports.js';

type Filters = { dateFrom?: string; dateTo?: string; topics?: string[]; sentiment?: string; source?: string; status?: string };

const ExportFiltersRef = builder.objectRef<Filters>('ExportFilters').implement({
  description: 'The search filters an export was made with.',
  fields: (t) => ({
    dateFrom: t.exposeString('dateFrom', { nullable: true }),
    dateTo: t.exposeString('dateTo', { nullable: true }),
    topics: t.stringList({ nullable: true, resolve: (f) => f.topics ?? null }),
    sentiment: t.exposeString('sentiment', { nullable: true }),
    source: t.exposeString('source', { nullable: true }),
    status: t.exposeString('status', { nullable: true }),
  }),
});

const ExportOptionsInput = builder.inputType('ExportOptions', {
  fields: (t) => ({
    includeAttachments: t.boolean({ description: 'Bundle the export and the attachment files in a .zip.' }),
  }),
});

export const ExportRef = builder.prismaObject('Export', {
  description: 'An export of conversations to a file. Poll it until `status` is no longer processing.',
  fields: (t) => ({
    id: t.exposeID('id'),
    status: t.expose('status', { type: ProcessingStatusEnum }),
    format: t.exposeString('format', { description: 'pdf, json, csv or markdown.' }),
    filters: t.field({ type: ExportFiltersRef, resolve: (e) => (e.filters ?? {}) as Filters }),
    includeAttachments: t.exposeBoolean('includeAttachments'),
    conversationCount: t.exposeInt('conversationCount', { nullable: true, description: 'Conversations in the file (when completed).' }),
    sizeMb: t.float({
      nullable: true,
      description: 'Size of the file in MB (1,048,576 bytes), when completed.',
      resolve: (e) => (e.sizeBytes == null ? null : Math.round((Number(e.sizeBytes) / 1048576) * 1000) / 1000),
    }),
    downloadUrl: t.string({
      nullable: true,
      description: 'A signed link to the file, usable without an API key until `expiresAt`; after that it answers 410.',
      resolve: async (e, _args, ctx) => {
        if (e.status !== 'completed' || !e.expiresAt || !e.filename) return null;
        const { signer } = await fileServices(ctx.app);
        return signer.url(ctx.baseUrl, `${e.id}/${e.filename}`, e.expiresAt);
      },
    }),
    expiresAt: t.expose('expiresAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the file is deleted (7 days after completion).',
    }),
    error: t.exposeString('error', { nullable: true, description: 'Why the export failed.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true }),
  }),
});

const ExportPageRef = pageRef('ExportPage', 'One page of exports, newest first.', ExportRef);

builder.queryFields((t) => ({
  export: t.field({
    type: ExportRef,
    description: 'One export.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => getExport(ctx.app, requireScope(ctx), String(args.id)),
  }),
  exports: t.field({
    type: ExportPageRef,
    description: "The account's exports, newest first.",
    args: pageArgs(),
    resolve: (_root, args, ctx) =>
      listExports(
        ctx.app,
        requireScope(ctx),
        { page: args.page ?? undefined, perPage: args.perPage ?? undefined },
        `${ctx.baseUrl}/v1/exports`,
      ),
  }),
}));

builder.mutationFields((t) => ({
  createExport: t.field({
    type: ExportRef,
    description: 'Starts an export of the conversations matching `filters` (as in search); answers while it is processing.',
    args: {
      format: t.arg.string({ required: true, description: 'pdf, json, csv or markdown.' }),
      filters: t.arg({ type: SearchFiltersInput }),
      options: t.arg({ type: ExportOptionsInput }),
    },
    resolve: (_root, args, ctx) =>
      createExport(ctx.app, requireScope(ctx), {
        format: args.format,
        filters: args.filters ? dropNulls(args.filters) : undefined,
        options: args.options ? dropNulls(args.options) : undefined,
      }),
  }),
}));

/** While an export is processing, its row is also re-read this often: an event published in the
 *  moment a subscription is being set up (or lost on a Redis reconnect) must not leave it waiting. */
const RECHECK_MS = 5_000;

/**
 * The export once its status changes from processing (to completed or failed), then the end of the
 * stream. Account-scoped: a foreign or unknown id is not_found. An export that is already finished is
 * sent at once, so a subscriber that comes late still gets the outcome.
 */
async function* exportStates(ctx: RequestContext, id: string): AsyncGenerator<Export> {
  const scope = requireScope(ctx);
  await getExport(ctx.app, scope, id); // 404 for a foreign or unknown id
  const events = ctx.app.events.subscribeExports(scope.accountId);
  try {
    let next = events.next(); // the subscription starts before the state is read again below
    let checked = 0;
    let recheck = true;
    for (;;) {
      if (recheck) {
        const row = await getExport(ctx.app, scope, id);
        if (row.status !== 'processing') {
          yield row;
          return;
        }
        checked = Date.now();
      }
      const timer = new AbortController();
      const woke = await Promise.race([
        next,
        sleep(RECHECK_MS, 'recheck' as const, { signal: timer.signal }).catch(() => 'recheck' as const),
      ]);
      timer.abort();
      if (woke === 'recheck') {
        recheck = true;
        continue;
      }
      if (woke.done) return; // the bus is shutting down
      next = events.next();
      recheck = woke.value.exportId === id || Date.now() - checked >= RECHECK_MS;
    }
  } finally {
    await events.return(undefined);
  }
}

builder.subscriptionFields((t) => ({
  exportUpdated: t.field({
    type: ExportRef,
    description:
      'The export when its status changes from processing to completed or failed (at once if it already has); the stream then ends.',
    args: { id: t.arg.id({ required: true }) },
    subscribe: (_root, args, ctx) => exportStates(ctx, String(args.id)),
    resolve: (e) => e,
  }),
}));

function dropNulls<T extends object>(o: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
}
