// Every documented /v1 route, collected from the modules. Anything not listed here is a 404 or 405
// before Sofa sees it — which is also what keeps Sofa's unauthenticated /webhook routes closed.
import { accountRoutes } from '../modules/accounts/account.rest.js';
import { apiKeyRoutes } from '../modules/accounts/api-keys.rest.js';
import { conversationRoutes, conversationShape } from '../modules/conversations/conversations.rest.js';
import { searchRoutes } from '../modules/search/search.rest.js';
import { summaryRoutes } from '../modules/summaries/summaries.rest.js';
import { usageRoutes } from '../modules/usage/usage.rest.js';
import { webhookRoutes } from '../modules/webhooks/webhooks.rest.js';
import { inboundRoutes } from '../modules/inbound/inbound.rest.js';
import { attachmentRoutes, attachmentShape } from '../modules/attachments/attachments.rest.js';
import { exportRoutes, exportShape } from '../modules/exports/exports.rest.js';
import { oauthClientRoutes } from '../modules/oauth/oauth-clients.rest.js';
import type { HttpMethod, RestRoute, RestShape } from './route-types.js';

export type { HttpMethod, RestHandler, RestRoute, RestShape, RestView } from './route-types.js';

export const REST_ROUTES: RestRoute[] = [
  ...conversationRoutes,
  ...apiKeyRoutes,
  ...summaryRoutes,
  ...searchRoutes,
  ...webhookRoutes,
  ...attachmentRoutes,
  ...exportRoutes,
  ...accountRoutes,
  ...usageRoutes,
  ...inboundRoutes,
  ...oauthClientRoutes,
];

export const REST_SHAPE: RestShape = {
  projections: { ...conversationShape.projections, ...attachmentShape.projections, ...exportShape.projections },
  retarget: { ...conversationShape.retarget, ...attachmentShape.retarget, ...exportShape.retarget },
};

export interface RouteMatch {
  route: RestRoute;
  params: Record<string, string>;
}

const compiled = () =>
  REST_ROUTES.map((route) => ({
    route,
    segments: route.path.split('/').filter(Boolean),
  }));

export type RouteLookup = { match: RouteMatch } | { allowed: HttpMethod[] } | null;

/** Static segments win over parameters, so `/conversations/search` is never taken for an id. */
export function createRouteMatcher() {
  const table = compiled();
  return (method: string, pathname: string): RouteLookup => {
    const parts = pathname.split('/').filter(Boolean);
    let best: { entry: (typeof table)[number]; params: Record<string, string>; score: number }[] = [];
    for (const entry of table) {
      if (entry.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let score = 0;
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = entry.segments[i];
        if (seg.startsWith(':')) {
          try {
            params[seg.slice(1)] = decodeURIComponent(parts[i]);
          } catch {
            ok = false;
          }
        } else if (seg === parts[i]) score += 1;
        else ok = false;
      }
      if (ok) best.push({ entry, params, score });
    }
    if (!best.length) return null;
    const top = Math.max(...best.map((b) => b.score));
    best = best.filter((b) => b.score === top);
    const hit = best.find((b) => b.entry.route.method === method);
    if (hit) return { match: { route: hit.entry.route, params: hit.params } };
    return { allowed: [...new Set(best.map((b) => b.entry.route.method))] };
  };
}
