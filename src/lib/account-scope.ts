// Who a request or a service call acts for. A leaf: lib/, jobs/ and every module can import it.

/** The account a request acts for. Every service call is scoped by it. */
export interface AccountScope {
  accountId: string;
  plan: string;
}

/** An authenticated caller: the account, and the API key it presented. */
export interface Principal extends AccountScope {
  keyId: string;
}
