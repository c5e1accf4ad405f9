// oidc-provider's storage in our database: its models (codes, tokens, grants, interactions, sessions)
// as JSON rows of `oauth_models`; its clients are our `oauth_clients` rows (registered through
// oauth-clients.ts), offered only while the client is not revoked and its account's plan allows OAuth.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { OAuthHost } from './oauth-host.js';
import { planAllowsOAuth } from './oauth-plan.js';
import { OAUTH_SCOPES } from './oauth-scopes.js';

interface Row {
  payload: AdapterPayload;
  consumed_at: Date | null;
}

interface ClientRow {
  id: string;
  secret_hash: string | null;
  redirect_uris: string[];
  grant_types: string[];
  name: string;
  plan: string;
}

export function createAdapterClass(app: OAuthHost, onDestroyed: (id: string, grantId?: string) => void) {
  const { db } = app;
  const toPayload = (row: Row | undefined): AdapterPayload | undefined =>
    row ? { ...row.payload, ...(row.consumed_at ? { consumed: Math.floor(row.consumed_at.getTime() / 1000) } : {}) } : undefined;

  class ClientAdapter implements Adapter {
    async upsert(): Promise<void> {
      throw new Error('OAuth clients are registered through /v1/oauth/clients or the CLI');
    }
    async find(id: string): Promise<AdapterPayload | undefined> {
      const [c] = await db.query<ClientRow>(
        `SELECT c.id, c.secret_hash, c.redirect_uris, c.grant_types, c.name, a.plan
           FROM oauth_clients c JOIN accounts a ON a.id = c.account_id
          WHERE c.id = $1 AND c.revoked_at IS NULL`,
        [id],
      );
      if (!c || !planAllowsOAuth(app.config, c.plan)) return undefined;
      const code = c.grant_types.includes('authorization_code');
      return {
        client_id: c.id,
        client_name: c.name,
        // The SHA-256 of the secret: oauth-provider.ts compares presented secrets by their hash.
        ...(c.secret_hash
          ? { client_secret: c.secret_hash, token_endpoint_auth_method: 'client_secret_basic' }
          : { token_endpoint_auth_method: 'none' }),
        redirect_uris: c.redirect_uris,
        grant_types: [...c.grant_types, ...(code ? ['refresh_token'] : [])],
        response_types: code ? ['code'] : [],
        scope: OAUTH_SCOPES.join(' '),
      };
    }
    async findByUserCode(): Promise<undefined> {
      return undefined;
    }
    async findByUid(): Promise<undefined> {
      return undefined;
    }
    async consume(): Promise<void> {}
    async destroy(): Promise<void> {}
    async revokeByGrantId(): Promise<void> {}
  }

  class ModelAdapter implements Adapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const expiresAt = expiresIn ? new Date(Date.now() + expiresIn * 1000) : null;
      await db.query(
        `INSERT INTO oauth_models (model, id, payload, grant_id, user_code, uid, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (model, id) DO UPDATE
           SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id, user_code = EXCLUDED.user_code,
               uid = EXCLUDED.uid, expires_at = EXCLUDED.expires_at`,
        [this.model, id, JSON.stringify(payload), payload.grantId ?? null, payload.userCode ?? null, payload.uid ?? null, expiresAt],
      );
    }

    private async one(where: string, value: string): Promise<AdapterPayload | undefined> {
      const [row] = await db.query<Row>(
        `SELECT payload, consumed_at FROM oauth_models
          WHERE model = $1 AND ${where} = $2 AND (expires_at IS NULL OR expires_at > now())`,
        [this.model, value],
      );
      return toPayload(row);
    }

    find(id: string) {
      return this.one('id', id);
    }
    findByUserCode(userCode: string) {
      return this.one('user_code', userCode);
    }
    findByUid(uid: string) {
      return this.one('uid', uid);
    }

    async consume(id: string): Promise<void> {
      await db.query(`UPDATE oauth_models SET consumed_at = now() WHERE model = $1 AND id = $2`, [this.model, id]);
    }

    async destroy(id: string): Promise<void> {
      await db.query(`DELETE FROM oauth_models WHERE model = $1 AND id = $2`, [this.model, id]);
      onDestroyed(id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await db.query(`DELETE FROM oauth_models WHERE grant_id = $1`, [grantId]);
      onDestroyed('', grantId);
    }
  }

  return function adapterFor(model: string): Adapter {
    return model === 'Client' ? new ClientAdapter() : new ModelAdapter(model);
  };
}

/** Removes expired rows (called now and then by the server; expired rows are never read anyway). */
export async function pruneOAuthModels(app: OAuthHost): Promise<void> {
  await app.db.query(`DELETE FROM oauth_models WHERE expires_at < now() - interval '1 day'`);
}
