// GraphQL over WebSocket (graphql-ws protocol) on /graphql, next to HTTP and SSE. The API key comes in
// the connection parameters (`{"Authorization": "Bearer …"}`); every operation then runs through the
// same Yoga pipeline (context, error masking, public error codes) as HTTP requests.
import crypto from 'node:crypto';
import type http from 'node:http';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { App } from '../app.js';
import { isAppError } from '../lib/errors.js';
import { authenticateRequest } from '../modules/accounts/authenticate-request.js';
import type { GraphQLServerContext } from './yoga.js';

function authorization(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const value = params?.Authorization ?? params?.authorization;
  return typeof value === 'string' ? value : undefined;
}

type Enveloped = ReturnType<YogaServerInstance<GraphQLServerContext, object>['getEnveloped']>;

export function attachGraphQLWebSocket(server: http.Server, yoga: YogaServerInstance<GraphQLServerContext, object>, app: App) {
  // Messages are GraphQL operations: the JSON body limit applies (ws's own default is 100 MB).
  const wss = new WebSocketServer({ server, path: '/graphql', maxPayload: app.config.jsonBodyLimitBytes });
  const disposable = useServer<Record<string, unknown> | undefined, { request: http.IncomingMessage }>(
    {
      // A bad or missing key closes the socket with 4403 Forbidden before any operation runs.
      onConnect: async (ctx) => {
        try {
          const host = ctx.extra.request.headers.host ?? `localhost:${app.config.port}`;
          await authenticateRequest(app, authorization(ctx.connectionParams), app.config.publicUrl ?? `http://${host}`);
          return true;
        } catch (e) {
          if (!isAppError(e)) app.log.error({ err: e }, 'WebSocket authentication failed');
          return false;
        }
      },
      onSubscribe: async (ctx, _id, payload) => {
        const requestId = crypto.randomUUID();
        const host = ctx.extra.request.headers.host ?? `localhost:${app.config.port}`;
        const headers = new Headers();
        const auth = authorization(ctx.connectionParams);
        if (auth) headers.set('authorization', auth);
        const enveloped: Enveloped = yoga.getEnveloped({
          request: new Request(`http://${host}/graphql`, { headers }),
          requestId,
          log: app.log.child({ requestId, transport: 'ws' }),
          baseUrl: app.config.publicUrl ?? `http://${host}`,
          onAuthenticated: () => {},
          params: payload,
        } as never);
        // A refusal of this operation (e.g. 429 rate_limit_exceeded) is its error, not the socket's end.
        let contextValue: unknown;
        try {
          contextValue = await enveloped.contextFactory();
        } catch (e) {
          if (e instanceof GraphQLError) return [e];
          throw e;
        }
        const args = {
          schema: enveloped.schema,
          operationName: payload.operationName,
          document: enveloped.parse(payload.query),
          variableValues: payload.variables,
          contextValue,
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
        const errors = enveloped.validate(args.schema, args.document);
        return errors.length ? errors : (args as ExecutionArgs);
      },
      execute: (args) => (args.rootValue as { execute: Enveloped['execute'] }).execute(args),
      subscribe: (args) => (args.rootValue as { subscribe: Enveloped['subscribe'] }).subscribe(args),
    },
    wss,
  );
  return {
    async close() {
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
