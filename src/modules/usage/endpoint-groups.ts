// Requests are counted per endpoint group (docs/spec/product.md §11). A /v1 route belongs to the group of the
// resource it acts on: `POST /conversations/search` is a search, `/conversations/{id}/summaries` and
// `/summaries/{id}` are summaries, API keys belong to the account; everything on /graphql is `/graphql`.

export const ENDPOINT_GROUPS = [
  '/conversations',
  '/search',
  '/summaries',
  '/attachments',
  '/exports',
  '/webhooks',
  '/account',
  '/graphql',
] as const;
export type EndpointGroup = (typeof ENDPOINT_GROUPS)[number];

const BY_SEGMENT: [string, EndpointGroup][] = [
  ['search', '/search'],
  ['summaries', '/summaries'],
  ['attachments', '/attachments'],
  ['exports', '/exports'],
  ['webhooks', '/webhooks'],
  ['account', '/account'],
  ['api_keys', '/account'],
  ['graphql', '/graphql'],
];

/**
 * The group of a route, from its path template (`/conversations/:id/summaries`) or a concrete path.
 * Conversations, their imports and the inbound channels (which create conversations) are `/conversations`.
 */
export function endpointGroupOf(path: string): EndpointGroup {
  const segments = path.split('/').filter(Boolean);
  for (const [segment, group] of BY_SEGMENT) if (segments.includes(segment)) return group;
  return '/conversations';
}
