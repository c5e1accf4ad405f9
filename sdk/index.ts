// The SDK's entry: the GraphQL client, every typed operation generated from sdk/operations/*.graphql
// (`GetConversationDocument`, `CreateConversationDocument`, … with their `…Query`/`…Mutation` types).
export * from './client.js';
export * from './generated/graphql.js';
// The REST client (sdk/rest.ts), typed from the OpenAPI document by openapi-typescript.
export * from './rest.js';
