// Bounds on a GraphQL operation's depth and cost, checked while validating, so that a deeply nested or
// huge query is refused before anything executes (graphql-armor's rules; introspection is not counted,
// so that GraphiQL and code generators keep working).
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { GraphQLError, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export const MAX_QUERY_DEPTH = 10;
/** graphql-armor's cost: 1 per scalar, 2 per object, ×1.5 per level; the REST list page's query costs ≈60. */
export const MAX_QUERY_COST = 5000;

// The library's message starts "Syntax Error:", which it is not; ours names the limit and its code.
const refuse = (what: string) => (context: ValidationContext | null, err: GraphQLError) =>
  context?.reportError(
    new GraphQLError(`${what}: ${err.message.replace(/^Syntax Error:\s*/, '')} The operation was not executed.`, {
      extensions: { code: 'bad_request' },
    }),
  );

export function useQueryBounds(): Plugin[] {
  return [
    maxDepthPlugin({ n: MAX_QUERY_DEPTH, propagateOnRejection: false, onReject: [refuse('Query too deep')] }) as Plugin,
    costLimitPlugin({ maxCost: MAX_QUERY_COST, propagateOnRejection: false, onReject: [refuse('Query too complex')] }) as Plugin,
  ];
}
