// Runs graphql-js' own full introspection query (every option graphql@16 has) against a
// server, builds a client schema from the answer as GraphQL tools do, and prints one JSON
// line: the HTTP status, the errors, and the types the schema was found to have.
// Usage: node introspect.mjs URL [TOKEN]
import { buildClientSchema, getIntrospectionQuery } from 'graphql'

const [url, token] = process.argv.slice(2)
const query = getIntrospectionQuery({
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
})
const res = await fetch(`${url}/graphql`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify({ query, operationName: 'IntrospectionQuery' }),
})
const body = await res.json()
const out = { status: res.status, errors: body.errors ?? [], types: [] }
if (body.data) {
  try {
    const schema = buildClientSchema(body.data)
    out.types = Object.keys(schema.getTypeMap())
    out.reportFilterFields = Object.keys(schema.getType('ReportFilter')?.getFields?.() ?? {})
  } catch (e) {
    out.errors.push({ message: `buildClientSchema: ${e.message}` })
  }
}
console.log(JSON.stringify(out))
