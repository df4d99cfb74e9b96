// Lints the published GraphQL schema (docs/schema.graphql, what `provreport schema`
// prints) with @graphql-eslint's schema rules: the recommended set and the Relay rules.
// Every rule turned off or relaxed below says why.
import graphqlPlugin from '@graphql-eslint/eslint-plugin'

export default [
  {
    files: ['docs/schema.graphql'],
    languageOptions: {
      parser: graphqlPlugin.parser,
      parserOptions: { graphQLConfig: { schema: 'docs/schema.graphql' } },
    },
    plugins: { '@graphql-eslint': graphqlPlugin },
    rules: {
      ...graphqlPlugin.configs['flat/schema-recommended'].rules,
      ...graphqlPlugin.configs['flat/schema-relay'].rules,
      // Connections' edges are checked as the rule means, but a plain list is not always a
      // connection: short, bounded lists that are never paged (a token's scopes, a CSV
      // upload's problems, the school's sync profiles and API tokens, node lookups, a batch's
      // recorded events) stay lists.
      // A timeline's entries are events and changes seen from one user, not records of their
      // own, so TimelineEdge's node is not a Node (its event and change are).
      '@graphql-eslint/relay-edge-types': ['error', { listTypeCanWrapOnlyEdgeType: false, shouldImplementNode: false }],
      // Objects with an identity carry `id: ID!` (Node). These are values without one: the
      // Relay connection and edge wrappers and PageInfo, mutation payloads, summaries and
      // their buckets, a stored filter, a CSV problem row and a school's flag thresholds (a part of
      // the school, not a record of its own), a profile's health and a run's baseline (parts of them),
      // a health change and a timeline entry (moments of a profile and of a user), a change's attribute
      // (a part of the change), a user's alert choices (a part of the user) and adoption counts.
      '@graphql-eslint/strict-id-in-types': [
        'error',
        {
          exceptions: {
            suffixes: ['Connection', 'Edge', 'Payload'],
            types: ['PageInfo', 'EventSummary', 'SummaryBucket', 'ExportFilter', 'Problem', 'SyncHealthSettings', 'SyncHealth', 'SignInOptions', 'RunBaseline',
              'SyncHealthChange', 'TimelineEntry', 'AttributeChange', 'AlertPreferences', 'Adoption'],
          },
        },
      ],
      // User.username is the directory's own word for the login name, the one agents send
      // in RecordEventInput.username; renaming it to "name" would lose that meaning.
      '@graphql-eslint/no-typename-prefix': 'off',
    },
  },
]
