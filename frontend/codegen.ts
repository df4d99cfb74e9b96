import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { CodegenConfig } from '@graphql-codegen/cli'
import { buildSchema, parse, validate, type DefinitionNode } from 'graphql'

// The server's schema files (graph/*.graphqls, hand-written plus ent-generated) are the source
// of truth. While the server is being built they may not yet hold everything the dashboard's
// operations use; then codegen falls back to the placeholder copy of the agreed contract in
// schema/ and says so loudly. PROVREPORT_SCHEMA=server forbids the fallback (CI drift check).
const here = import.meta.dirname
const graphDir = resolve(here, '../graph')
const opsDir = resolve(here, 'src/graphql')
const serverSchema = '../graph/*.graphqls'
const contractSchema = 'schema/contract.graphqls'
const documents = 'src/graphql/*.graphql'

function readAll(dir: string, ext: string): string {
  return readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n')
}

function serverSchemaProblem(): string | null {
  try {
    const schema = buildSchema(readAll(graphDir, '.graphqls'))
    const definitions: DefinitionNode[] = parse(readAll(opsDir, '.graphql')).definitions.slice()
    const errors = validate(schema, { kind: parse('{a}').kind, definitions } as never)
    return errors.length ? `${errors.length} operation errors, first: ${errors[0].message}` : null
  } catch (err) {
    return err instanceof Error ? err.message : String(err)
  }
}

const mode = process.env.PROVREPORT_SCHEMA
const problem = mode === 'contract' ? 'PROVREPORT_SCHEMA=contract' : serverSchemaProblem()
if (problem && mode === 'server') throw new Error(`codegen: graph/*.graphqls does not fit the operations: ${problem}`)
if (problem) console.warn(`codegen: WARNING: using ${contractSchema}, not ${serverSchema}: ${problem}`)

const config: CodegenConfig = {
  schema: problem ? contractSchema : serverSchema,
  documents,
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
