// Who a request or a service call acts for. A leaf: lib/, jobs/ and every module can import it.

/** The account a request acts for. Every service call is scoped by it. */
export interface AccountScope {
  accountId: string;
  plan: string;
}

/** An authenticated caller: the account, and the API key it presented. */
export interface Principal extends AccountScope {
  /** The API key's id; for an OAuth access token, its client's id. */
  keyId: string;
  /** Set for OAuth access tokens (their client and scopes); API keys have full access. */
  oauth?: OAuthGrantInfo;
}

/** What an OAuth access token carries on a request; absent for API keys (full access). */
export interface OAuthGrantInfo {
  clientId: string;
  scopes: readonly string[];
  grantId?: string;
}
