// The built pages under the production Content-Security-Policy, with a stub /graphql: they must
// load without CSP violations. Needs `npm run build` first; no Go server.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { launch, PLAYGROUND_CSP, serveDist, watchPage } from './helpers.mjs'

let browser
let site

before(async () => {
  browser = await launch()
  // A signed-out session: me is null.
  site = await serveDist({ playgroundCSP: PLAYGROUND_CSP, graphql: () => ({ data: { me: null } }) })
})

after(async () => {
  await browser?.close()
  await site?.close()
})

test('the dashboard renders the sign-in page under the strict CSP', async () => {
  const page = await browser.newPage()
  const problems = watchPage(page)
  await page.goto(`${site.url}/exports/42`)
  await page.getByRole('button', { name: 'Sign in' }).waitFor()
  assert.match(page.url(), /\/signin\?next=%2Fexports%2F42$/)
  for (const label of ['School', 'Username', 'Password']) {
    assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, label)
  }
  assert.deepEqual(problems.csp, [])
  assert.deepEqual(problems.page, [])
  await page.close()
})

test('GraphiQL loads at /playground under its own CSP', async () => {
  const page = await browser.newPage()
  const problems = watchPage(page)
  await page.goto(`${site.url}/playground`)
  await page.locator('.graphiql-container').waitFor({ timeout: 20_000 })
  // Let the editor's workers and fonts load before judging.
  await page.locator('.graphiql-container .monaco-editor').first().waitFor({ timeout: 20_000 })
  await page.waitForTimeout(500)
  assert.deepEqual(problems.page, [])
  assert.deepEqual(problems.csp, [])
  await page.close()
})
