// The SDK's entry: the client, and every typed operation generated from sdk/operations/*.graphql
// (`GetConversationDocument`, `CreateConversationDocument`, … with their `…Query`/`…Mutation` types).
export * from './client.js';
export * from './generated/graphql.js';
