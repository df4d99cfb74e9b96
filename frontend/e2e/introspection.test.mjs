// The API as GraphQL tools see it, against the real server (PROVREPORT_BIN): GraphQL Code
// Generator builds types from the running server's URL with an API token, and GraphiQL at
// /playground loads the schema for a signed-in admin, with no error, and documents ReportFilter.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { promisify } from 'node:util'
import { launch, watchPage } from './helpers.mjs'
import { PASSWORD, startServer, stopServer } from './server.mjs'

const run = promisify(execFile)
const root = new URL('../../', import.meta.url).pathname

describe('introspection by GraphQL tools', () => {
  let server
  let browser

  before(async () => {
    server = await startServer()
    browser = await launch()
  })

  after(async () => {
    await browser?.close()
    await stopServer(server)
  })

  test('GraphQL Code Generator generates from the running server with a token', async () => {
    assert.ok(server.token, 'the demo prints an API token')
    const dir = mkdtempSync(join(tmpdir(), 'provreport-codegen-'))
    try {
      mkdirSync(join(dir, 'src'))
      writeFileSync(
        join(dir, 'src', 'report.graphql'),
        'query Report($filter: ReportFilter) { events(first: 5, filter: $filter) { totalCount } }\n',
      )
      const config = {
        schema: [{ [`${server.url}/graphql`]: { headers: { Authorization: `Bearer ${server.token}` } } }],
        documents: join(dir, 'src', '*.graphql'),
        generates: { [join(dir, 'gql') + '/']: { preset: 'client', config: { enumsAsTypes: true } } },
      }
      writeFileSync(join(dir, 'codegen.json'), JSON.stringify(config))
      // Run from the repository so that the preset resolves from its node_modules.
      await run(join(root, 'node_modules', '.bin', 'graphql-codegen'), ['--config', join(dir, 'codegen.json')], {
        cwd: root,
        timeout: 120_000,
      })
      const types = readFileSync(join(dir, 'gql', 'graphql.ts'), 'utf8')
      assert.match(types, /export type ReportFilter = \{/)
      assert.match(types, /activeOnly\?: boolean \| null/)
      assert.match(types, /export type ReportQuery = /)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('GraphiQL at /playground loads the schema for an admin and documents ReportFilter', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } })
    const signIn = await context.request.post(`${server.url}/graphql`, {
      data: {
        query: 'mutation($p: String!) { signIn(school: "demo", username: "admin", password: $p) { id } }',
        variables: { p: PASSWORD },
      },
    })
    assert.equal(signIn.status(), 200)
    assert.equal((await signIn.json()).errors, undefined)

    const page = await context.newPage()
    const problems = watchPage(page)
    const failed = []
    page.on('response', async (res) => {
      if (!res.url().endsWith('/graphql') || res.request().method() !== 'POST') return
      const body = await res.json().catch(() => null)
      if (res.status() !== 200 || body?.errors) failed.push({ status: res.status(), errors: body?.errors })
    })
    await page.goto(`${server.url}/playground`)
    await page.locator('.graphiql-container').waitFor({ timeout: 30_000 })
    await page.getByRole('button', { name: /show documentation explorer/i }).click()
    const docs = page.locator('.graphiql-doc-explorer')
    // The explorer lists the root types once the schema has loaded.
    await docs.getByText('Query', { exact: true }).first().click({ timeout: 30_000 })
    await docs.locator('a', { hasText: /^events$/ }).first().click()
    await docs.locator('a', { hasText: /^ReportFilter$/ }).first().click()
    await docs.locator('.graphiql-doc-explorer-title', { hasText: 'ReportFilter' }).waitFor()
    await docs.getByText('activeOnly').first().waitFor()
    await page.screenshot({ path: join(root, 'docs', 'screenshots', 'playground.png') })
    assert.deepEqual(failed, [])
    assert.deepEqual(problems.page, [])
    assert.deepEqual(problems.console, [])
    assert.deepEqual(problems.csp, [])
    await context.close()
  })
})
