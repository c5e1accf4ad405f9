// Writes the /v1 OpenAPI document, built from the schema and the route table exactly as the server
// serves it, to sdk/generated/openapi.json (or the path given), offline: openapi-typescript reads it to
// generate the REST client's types (`npm run codegen`, docs/sdk.md).
import fs from 'node:fs';
import path from 'node:path';
import { schema } from '../src/graphql/schema.js';
import { buildOpenApi } from '../src/rest/openapi.js';
import { buildRestSchema } from '../src/rest/rest-schema.js';
import { REST_ROUTES, REST_SHAPE } from '../src/rest/routes.js';

const target = path.resolve(process.argv[2] ?? new URL('../sdk/generated/openapi.json', import.meta.url).pathname);
fs.mkdirSync(path.dirname(target), { recursive: true });
fs.writeFileSync(target, `${JSON.stringify(buildOpenApi(buildRestSchema(schema, REST_SHAPE), REST_ROUTES), null, 2)}\n`);
process.stderr.write(`${path.relative(process.cwd(), target)} written\n`);
