import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  // Node loads graphql's CommonJS build for the libraries that Vite does not transform; make our
  // code use the same one, or graphql-js sees two realms ("Cannot use GraphQLScalarType from another module").
  resolve: { alias: { graphql: require.resolve('graphql') } },
  test: {
    globalSetup: ['tests/helpers/global-setup.ts'],
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Each file starts its own server on its own port; files share one fresh database.
    fileParallelism: true,
  },
});
