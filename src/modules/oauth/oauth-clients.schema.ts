import { builder } from '../../graphql/builder.js';
import { requireScope } from '../../graphql/context.js';
import {
  createOAuthClient,
  listOAuthClients,
  revokeOAuthClient,
  type CreatedOAuthClient,
  type OAuthClientRecord,
} from './oauth-clients.js';

const clientFields = (t: any) => ({
  id: t.exposeID('id', { description: 'The client_id.' }),
  name: t.exposeString('name', { description: 'Shown to users on the consent page.' }),
  public: t.boolean({
    description: 'A public client (browser or native app) has no secret and uses the code flow with PKCE.',
    resolve: (c: OAuthClientRecord) => c.secretHash === null,
  }),
  redirectUris: t.exposeStringList('redirectUris'),
  grantTypes: t.exposeStringList('grantTypes', { description: 'authorization_code (with refresh_token) and/or client_credentials.' }),
  createdAt: t.expose('createdAt', { type: 'DateTime' }),
  lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
  revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
});

export const OAuthClientRef = builder.objectRef<OAuthClientRecord>('OAuthClient').implement({
  description: 'A third-party app allowed to act for the account through OAuth 2.0 (Pro plan). The secret is shown once.',
  fields: (t) => clientFields(t),
});

const OAuthClientListRef = builder.objectRef<{ data: OAuthClientRecord[] }>('OAuthClientList').implement({
  fields: (t) => ({ data: t.field({ type: [OAuthClientRef], resolve: (l) => l.data }) }),
});

const CreatedOAuthClientRef = builder.objectRef<CreatedOAuthClient>('CreatedOAuthClient').implement({
  description: 'A new OAuth client, with its secret (confidential clients). Store it now: it is never shown again.',
  fields: (t) => ({
    ...clientFields(t),
    clientSecret: t.exposeString('clientSecret', {
      nullable: true,
      description: 'For HTTP Basic authentication at the token endpoint; null for public clients.',
    }),
  }),
});

builder.queryFields((t) => ({
  oauthClients: t.field({
    type: OAuthClientListRef,
    description: "The account's OAuth clients, newest first, without their secrets.",
    resolve: async (_r, _a, ctx) => ({ data: await listOAuthClients(ctx.app, requireScope(ctx)) }),
  }),
}));

builder.mutationFields((t) => ({
  createOAuthClient: t.field({
    type: CreatedOAuthClientRef,
    description: 'Registers an OAuth app (plans allowing OAuth only, else forbidden).',
    args: {
      name: t.arg.string({ required: true }),
      redirectUris: t.arg.stringList({ required: false }),
      grantTypes: t.arg.stringList({
        required: false,
        description:
          'authorization_code and/or client_credentials; by default authorization_code with redirect URIs, else client_credentials.',
      }),
      public: t.arg.boolean({ required: false }),
    },
    resolve: (_r, args, ctx) => createOAuthClient(ctx.app, requireScope(ctx), args),
  }),
  revokeOAuthClient: t.field({
    type: OAuthClientRef,
    description: 'Revokes a client at once and for good; its tokens stop working.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, args, ctx) => revokeOAuthClient(ctx.app, requireScope(ctx), String(args.id)),
  }),
}));
