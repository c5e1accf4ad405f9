// OAuth access tokens reach only the root fields their scopes allow (modules/oauth/oauth-scopes.ts):
// checked once per operation, before anything runs; one refused field refuses the operation with
// 403-like `extensions.code: 'forbidden'`. API keys are not concerned.
import { getOperationAST, GraphQLError, Kind, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { isAppError } from '../lib/errors.js';
import { assertFieldScope } from '../modules/oauth/oauth-scopes.js';
import type { RequestContext } from './context.js';

function rootFields(
  set: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  out: Set<string>,
  seen = new Set<string>(),
): Set<string> {
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) out.add(sel.name.value);
    else if (sel.kind === Kind.INLINE_FRAGMENT) rootFields(sel.selectionSet, fragments, out, seen);
    else if (!seen.has(sel.name.value)) {
      seen.add(sel.name.value);
      const f = fragments.get(sel.name.value);
      if (f) rootFields(f.selectionSet, fragments, out, seen);
    }
  }
  return out;
}

function refusal(document: DocumentNode, operationName: string | null | undefined, ctx: RequestContext | undefined): GraphQLError | null {
  const oauth = ctx?.principal?.oauth;
  if (!oauth) return null;
  const op = getOperationAST(document, operationName);
  if (!op) return null;
  const typeName = op.operation === 'query' ? 'Query' : op.operation === 'mutation' ? 'Mutation' : 'Subscription';
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  for (const field of rootFields(op.selectionSet, fragments, new Set())) {
    if (field.startsWith('__')) continue; // __typename, introspection
    try {
      assertFieldScope(oauth, `${typeName}.${field}`);
    } catch (e) {
      if (!isAppError(e)) throw e;
      return new GraphQLError(e.message, { path: [field], extensions: { code: e.code, details: e.details } });
    }
  }
  return null;
}

export const useOAuthScopes = (): Plugin => ({
  onExecute({ args, setResultAndStopExecution }) {
    const error = refusal(args.document, args.operationName, args.contextValue as unknown as RequestContext);
    if (error) setResultAndStopExecution({ errors: [error] });
  },
  onSubscribe({ args, setResultAndStopExecution }) {
    const error = refusal(args.document, args.operationName, args.contextValue as unknown as RequestContext);
    if (error) setResultAndStopExecution({ errors: [error] });
  },
});
