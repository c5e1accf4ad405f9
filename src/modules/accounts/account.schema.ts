// GraphQL face of the account (docs/spec/api-reference.md, Account): `account`. REST serves the same
// field in snake_case (account.rest.ts); `usage(from, to)` is in modules/usage.
import { builder } from '../../graphql/builder.js';
import { requireScope } from '../../graphql/context.js';
import { getAccount, type AccountInfo } from './get-account.js';

const AccountStorageRef = builder.objectRef<AccountInfo['storage']>('AccountStorage').implement({
  description: 'Storage used by conversations, attachments and exports, in MB (1,048,576 bytes; two decimals).',
  fields: (t) => ({
    usedMb: t.exposeFloat('usedMb'),
    limitMb: t.exposeFloat('limitMb', { description: "The plan's storage limit." }),
  }),
});

const AccountApiUsageRef = builder.objectRef<AccountInfo['apiUsage']>('AccountApiUsage').implement({
  fields: (t) => ({
    requestsToday: t.exposeInt('requestsToday', { description: 'Requests since 00:00 UTC, this one included.' }),
    limitPerDay: t.exposeInt('limitPerDay', { description: "The plan's daily request quota." }),
  }),
});

const AccountRef = builder.objectRef<AccountInfo>('Account').implement({
  description: 'The account the API key belongs to.',
  fields: (t) => ({
    id: t.exposeID('id'),
    email: t.exposeString('email'),
    plan: t.exposeString('plan'),
    storage: t.field({ type: AccountStorageRef, resolve: (a) => a.storage }),
    apiUsage: t.field({ type: AccountApiUsageRef, resolve: (a) => a.apiUsage }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  account: t.field({
    type: AccountRef,
    description: "The account of the API key: plan, storage and today's requests.",
    resolve: (_r, _a, ctx) => getAccount(ctx.app, requireScope(ctx)),
  }),
}));
