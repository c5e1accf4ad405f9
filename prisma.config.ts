// Prisma CLI configuration. Only `prisma generate` is used from the CLI: migrations are created and
// applied by our own scripts over the WebAssembly schema engine (see scripts/db-migrate-create.ts and
// src/lib/migrate.ts), because the native schema engine cannot be downloaded on machines limited to
// the npm registry.
import path from 'node:path';
import { defineConfig } from 'prisma/config';

// `prisma generate` refuses to run unless the native engine "exists"; it never executes it.
// Point it at any existing file so that generation works offline.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.resolve('package.json');

export default defineConfig({
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
});
