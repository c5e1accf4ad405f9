// Operator commands. stdout carries exactly one JSON result; logs go to stderr.
import { parseArgs } from 'node:util';
// The application is imported only by the commands that need it, once their arguments are valid: a
// usage error answers at once, and each command loads no more than it uses.
import { loadConfigOrExit } from './config.js';
import type { App } from './app.js';
import type { Database } from './lib/db.js';
import { isAppError } from './lib/errors.js';
import { createLogger } from './lib/logger.js';

const USAGE = `Usage:
  aimychats accounts create --email EMAIL [--plan PLAN]   create an account and its first API key
  aimychats accounts set-plan --account ID --plan PLAN     change an account's plan (emits subscription.updated)
  aimychats keys create --account ID [--name NAME]         create an API key (the secret is printed once)
  aimychats keys list --account ID                         list an account's API keys (no secrets)
  aimychats keys revoke --account ID --id KEY_ID           revoke an API key at once
  aimychats oauth clients create --account ID --name NAME [--redirect-uri URI]... [--grant authorization_code|client_credentials]... [--public]
                                                          register an OAuth app (plans allowing OAuth; the secret is printed once)
  aimychats oauth clients list --account ID                list an account's OAuth apps (no secrets)
  aimychats oauth clients revoke --account ID --id CLIENT_ID
                                                          revoke an OAuth app; its tokens stop working
  aimychats db migrate                                      apply pending migrations
  aimychats search reindex [--account ID]                   rebuild the search index (all accounts, or one)
  aimychats inbound token --account ID                      issue the account's inbound email token (replaces the old one)
  aimychats whatsapp link --account ID --phone-number-id N  route a WhatsApp Business number's webhook messages to the account
  aimychats whatsapp unlink --account ID --phone-number-id N`;

function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

async function main(argv: string[]): Promise<unknown> {
  const [group, command, ...rest] = argv;
  const config = loadConfigOrExit();
  const log = createLogger(process.env.LOG_LEVEL ?? 'warn', 'aimychats-cli');
  // Commands bring the schema up to date first: the CLI may run before the server ever started.
  const withDb = async <T>(fn: (db: Database, applied: string[]) => Promise<T>): Promise<T> => {
    const [{ openDatabase }, { applyMigrations }] = await Promise.all([import('./lib/db.js'), import('./lib/migrate.js')]);
    const db = await openDatabase(config, log);
    try {
      const applied = await applyMigrations(db, log);
      return await fn(db, applied);
    } finally {
      await db.close();
    }
  };

  // Commands that go through the services the API uses (events included): an App without HTTP server
  // or workers. Their events are handed to the queue with REDIS_URL; in development mode (no Redis) the
  // server's job recovery dispatches them (within JOB_RECOVERY_INTERVAL_MS).
  const withApp = <T>(fn: (app: App) => Promise<T>): Promise<T> =>
    withDb(async (db) => {
      const { createApp } = await import('./create-app.js');
      const app = createApp(config, db, log);
      try {
        return await fn(app);
      } finally {
        await app.jobs.close();
        await app.events.close();
      }
    });

  if (group === 'accounts' && command === 'set-plan') {
    const { values } = parseArgs({ args: rest, options: { account: { type: 'string' }, plan: { type: 'string' } } });
    if (!values.account || !values.plan) fail(`--account and --plan are required\n${USAGE}`, 2);
    const { setAccountPlan } = await import('./modules/accounts/set-plan.js');
    return withApp((app) => setAccountPlan(app, { accountId: values.account!, plan: values.plan! }));
  }
  if (group === 'keys' && (command === 'create' || command === 'list' || command === 'revoke')) {
    const { values } = parseArgs({
      args: rest,
      options: { account: { type: 'string' }, name: { type: 'string' }, id: { type: 'string' } },
    });
    if (!values.account) fail(`--account is required\n${USAGE}`, 2);
    if (command === 'revoke' && !values.id) fail(`--id is required\n${USAGE}`, 2);
    const { requireAccount } = await import('./modules/accounts/set-plan.js');
    const { apiKeyView, createApiKey, listApiKeys, revokeApiKey } = await import('./modules/accounts/api-keys.js');
    return withApp(async (app) => {
      const scope = await requireAccount(app, values.account!);
      if (command === 'list') return { data: (await listApiKeys(app, scope)).map(apiKeyView) };
      if (command === 'revoke') return apiKeyView(await revokeApiKey(app, scope, values.id!));
      const { key, ...row } = await createApiKey(app, scope, { name: values.name ?? 'default' });
      return { api_key: apiKeyView(row), key };
    });
  }
  if (group === 'oauth' && command === 'clients') {
    const [sub, ...more] = rest;
    if (sub !== 'create' && sub !== 'list' && sub !== 'revoke') fail(USAGE, 2);
    const { values } = parseArgs({
      args: more,
      options: {
        account: { type: 'string' },
        name: { type: 'string' },
        id: { type: 'string' },
        'redirect-uri': { type: 'string', multiple: true },
        grant: { type: 'string', multiple: true },
        public: { type: 'boolean' },
      },
    });
    if (!values.account) fail(`--account is required\n${USAGE}`, 2);
    if (sub === 'revoke' && !values.id) fail(`--id is required\n${USAGE}`, 2);
    if (sub === 'create' && !values.name) fail(`--name is required\n${USAGE}`, 2);
    const { requireAccount } = await import('./modules/accounts/set-plan.js');
    const { createOAuthClient, listOAuthClients, oauthClientView, revokeOAuthClient } = await import('./modules/oauth/oauth-clients.js');
    return withApp(async (app) => {
      const scope = await requireAccount(app, values.account!);
      if (sub === 'list') return { data: (await listOAuthClients(app, scope)).map(oauthClientView) };
      if (sub === 'revoke') return oauthClientView(await revokeOAuthClient(app, scope, values.id!));
      const { clientSecret, ...row } = await createOAuthClient(app, scope, {
        name: values.name,
        redirectUris: values['redirect-uri'],
        grantTypes: values.grant,
        public: values.public,
      });
      return { client: oauthClientView(row), client_id: row.id, client_secret: clientSecret };
    });
  }
  if (group === 'accounts' && command === 'create') {
    const { values } = parseArgs({
      args: rest,
      options: { email: { type: 'string' }, plan: { type: 'string' }, name: { type: 'string' } },
    });
    if (!values.email) fail(`--email is required\n${USAGE}`, 2);
    const { createAccount } = await import('./modules/accounts/create-account.js');
    return withDb((db) => createAccount(db, config, { email: values.email!, plan: values.plan, keyName: values.name }));
  }
  if (group === 'search' && command === 'reindex') {
    const { values } = parseArgs({ args: rest, options: { account: { type: 'string' } } });
    return withDb(async (db) => {
      const { searchServices } = await import('./modules/search/search-engine.js');
      const search = await searchServices({ config, db, log });
      try {
        const { indexed } = await search.indexer.reindex(values.account);
        return { engine: search.engine.kind, account: values.account ?? null, indexed };
      } finally {
        await search.close();
      }
    });
  }
  if (group === 'inbound' && command === 'token') {
    const { values } = parseArgs({ args: rest, options: { account: { type: 'string' } } });
    if (!values.account) fail(`--account is required\n${USAGE}`, 2);
    const { issueInboundToken } = await import('./modules/inbound/email/inbound-token.js');
    return withDb((db) => issueInboundToken(db, values.account!));
  }
  if (group === 'whatsapp' && (command === 'link' || command === 'unlink')) {
    const { values } = parseArgs({ args: rest, options: { account: { type: 'string' }, 'phone-number-id': { type: 'string' } } });
    if (!values.account || !values['phone-number-id']) fail(`--account and --phone-number-id are required\n${USAGE}`, 2);
    const { linkPhoneNumber, unlinkPhoneNumber } = await import('./modules/inbound/whatsapp/link-number.js');
    return withDb<unknown>((db) =>
      (command === 'link' ? linkPhoneNumber : unlinkPhoneNumber)(db, values.account!, values['phone-number-id']!),
    );
  }
  if (group === 'db' && command === 'migrate') {
    return withDb(async (_db, applied) => ({ applied }));
  }
  fail(USAGE, 2);
}

main(process.argv.slice(2)).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  },
  (e) => {
    // parseArgs refuses unknown or malformed options: a usage error.
    if (String((e as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS')) fail(`${(e as Error).message}\n${USAGE}`, 2);
    if (isAppError(e)) {
      process.stderr.write(`${JSON.stringify({ error: { code: e.code, message: e.message, details: e.details } })}\n`);
      process.exit(1);
    }
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
