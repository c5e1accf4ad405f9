// GraphQL Code Generator: typed documents for the tests (and any TypeScript client) from the
// committed schema.graphql and the operations written in tests/graphql/*.graphql.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['tests/graphql/**/*.graphql'],
  ignoreNoDocuments: true,
  // ESM output (.js extensions on relative imports), as the project is NodeNext.
  emitLegacyCommonJSImports: false,
  generates: {
    'tests/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        scalars: { DateTime: 'string', JSONObject: 'Record<string, unknown>' },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
