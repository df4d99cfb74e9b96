import type { CodegenConfig } from '@graphql-codegen/cli'

// The server's schema files (graph/*.graphqls: hand-written plus ent-generated) are the
// single source of truth for the dashboard's typed operations in src/graphql/*.graphql.
const config: CodegenConfig = {
  schema: '../graph/*.graphqls',
  documents: 'src/graphql/*.graphql',
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        dedupeFragments: true,
        scalars: { Time: 'string', Cursor: 'string', ID: 'string' },
        strictScalars: true,
      },
    },
  },
}

export default config
