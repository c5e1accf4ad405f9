// The published contract: schema.graphql is current, and /v1/openapi.json is a valid OpenAPI 3
// document describing every route with parameters, bodies, responses, errors and bearer security.
import fs from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printedSchema } from '../src/graphql/schema.js';
import { REST_ROUTES } from '../src/rest/routes.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

describe('schema.graphql', () => {
  it('is up to date with the code (run `npm run schema:print` after changing the schema)', () => {
    const committed = fs.readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(printedSchema());
  });
});

describe('GET /v1/openapi.json', () => {
  it('is served without a key and validates', async () => {
    const res = await fetch(`${server.url}/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = await res.json();
    // validate() dereferences in place; keep the original for the checks below.
    await SwaggerParser.validate(structuredClone(doc));
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes.bearerAuth).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
  });

  it('describes every route with its parameters, body, success and error responses', async () => {
    const doc = await (await fetch(`${server.url}/v1/openapi.json`)).json();
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${p}`));
    const expected = REST_ROUTES.map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    expect(documented.sort()).toEqual(expected.sort());
    for (const r of REST_ROUTES) {
      const op = doc.paths[r.path.replace(/:(\w+)/g, '{$1}')][r.method.toLowerCase()];
      expect(op.responses[String(r.status ?? 200)], `${r.method} ${r.path}`).toBeDefined();
      for (const code of ['401', '404', '422', '500']) expect(op.responses[code]).toBeDefined();
      if (r.path.includes(':id')) expect(op.parameters).toContainEqual(expect.objectContaining({ name: 'id', in: 'path', required: true }));
    }
    const list = doc.paths['/conversations'].get;
    expect(list.parameters.map((p: any) => p.name).sort()).toEqual(['page', 'per_page', 'search', 'sort', 'source', 'status']);
    const create = doc.paths['/conversations'].post.requestBody.content['application/json'].schema;
    expect(create.required.sort()).toEqual(['content', 'title']);
    expect(create.additionalProperties).toBe(false);
    expect(doc.components.schemas.ConversationListItem.properties).not.toHaveProperty('content');
    expect(doc.components.schemas.Conversation.properties).toHaveProperty('created_at');
  });
});
