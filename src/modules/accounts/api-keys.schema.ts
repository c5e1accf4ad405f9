import { builder } from '../../graphql/builder.js';
import { requireScope } from '../../graphql/context.js';
import { createApiKey, listApiKeys, revokeApiKey, type CreatedApiKey } from './api-keys.js';

export const ApiKeyRef = builder.prismaObject('ApiKey', {
  description: 'An API key. The secret is shown once, when the key is created.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name', { nullable: true }),
    prefix: t.exposeString('prefix', { description: 'The first characters of the key, to recognise it.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
  }),
});

const ApiKeyListRef = builder.objectRef<{ data: Awaited<ReturnType<typeof listApiKeys>> }>('ApiKeyList').implement({
  fields: (t) => ({ data: t.field({ type: [ApiKeyRef], resolve: (l) => l.data }) }),
});

const CreatedApiKeyRef = builder.objectRef<CreatedApiKey>('CreatedApiKey').implement({
  description: 'A new API key, with its secret. Store it now: it is never shown again.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name', { nullable: true }),
    prefix: t.exposeString('prefix'),
    key: t.exposeString('key', { description: 'The secret, for `Authorization: Bearer <key>`.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.queryFields((t) => ({
  apiKeys: t.field({
    type: ApiKeyListRef,
    description: "The account's API keys, newest first, without their secrets.",
    resolve: async (_r, _a, ctx) => ({ data: await listApiKeys(ctx.app, requireScope(ctx)) }),
  }),
}));

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreatedApiKeyRef,
    args: { name: t.arg.string({ required: true }) },
    resolve: (_r, args, ctx) => createApiKey(ctx.app, requireScope(ctx), args),
  }),
  revokeApiKey: t.field({
    type: ApiKeyRef,
    description: 'Revokes a key at once and for good.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, args, ctx) => revokeApiKey(ctx.app, requireScope(ctx), String(args.id)),
  }),
}));
