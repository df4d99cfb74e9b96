// Accessibility, checked by axe-core inside the real dashboard at a desktop, a portrait tablet and
// a phone size: the sign-in page, the report (filters and table, then with an event's details
// open, then with the Download dialog open), Exports, one export's page, Sync health and API tokens. Schools
// buy under WCAG 2.1 AA rules, so any violation axe rates serious or critical fails the test,
// colour contrast included.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { after, before, describe, test } from 'node:test'
import { launch, watchPage } from './helpers.mjs'
import { pageGql } from './report.mjs'
import { PASSWORD, startServer, stopServer } from './server.mjs'

const require = createRequire(import.meta.url)
/**
 * AXE_SOURCE is axe-core's browser build. It is evaluated through the DevTools protocol rather
 * than added as a <script>, so the dashboard's strict Content-Security-Policy stays on.
 */
const AXE_SOURCE = require('axe-core').source

/** VIEWPORTS are the sizes every page is checked at. */
const VIEWPORTS = [
  { name: 'desktop', width: 1440, height: 900 },
  { name: 'tablet', width: 768, height: 1024 },
  { name: 'phone', width: 390, height: 844 },
]

/** BLOCKING are the impacts that fail a check. */
const BLOCKING = new Set(['serious', 'critical'])

/**
 * expectAccessible runs axe-core against the page as it is now, against WCAG 2.0/2.1 A and AA
 * and axe's best practices, and fails with every serious or critical violation listed.
 */
async function expectAccessible(page, what) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE)
  const results = await page.evaluate(() =>
    window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    }),
  )
  const blocking = results.violations.filter((v) => BLOCKING.has(v.impact))
  const described = blocking.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(1).join(' ')}`).join('\n')}`,
  )
  assert.equal(blocking.length, 0, `${what}: axe found serious or critical violations:\n${described.join('\n')}`)
  // axe must have looked at something: no rule passed at all would mean it saw an empty document.
  assert.ok(results.passes.length > 0, `${what}: axe checked nothing`)
}

describe('accessibility (axe-core) at three sizes', () => {
  let server
  let browser
  let exportID

  before(async () => {
    server = await startServer()
    browser = await launch()
  })

  after(async () => {
    await browser?.close()
    await stopServer(server)
  })

  for (const vp of VIEWPORTS) {
    describe(`${vp.name} (${vp.width}×${vp.height})`, () => {
      let page
      let problems

      before(async () => {
        const context = await browser.newContext({ viewport: { width: vp.width, height: vp.height } })
        page = await context.newPage()
        problems = watchPage(page)
      })

      after(() => {
        assert.deepEqual(problems.page, [], 'no uncaught errors')
        assert.deepEqual(problems.console, [], 'no console errors')
      })

      test('the sign-in page, empty and after a wrong password', async () => {
        await page.goto(`${server.url}/signin`)
        await page.getByLabel('Password').waitFor()
        await expectAccessible(page, 'sign-in')
        await page.getByLabel('School').fill('demo')
        await page.getByLabel('Username').fill('admin')
        await page.getByLabel('Password').fill('not the password')
        await page.getByRole('button', { name: 'Sign in' }).click()
        await page.getByRole('alert').waitFor()
        await expectAccessible(page, 'sign-in with an error')
        await page.getByLabel('Password').fill(PASSWORD)
        await page.getByRole('button', { name: 'Sign in' }).click()
        await page.waitForURL((u) => u.pathname === '/')
      })

      test('the report: filters and table, an event’s details, the Download dialog', async () => {
        await page.goto(`${server.url}/?type=USER_CSV_PROCESSED_WITH_ERRORS`)
        const rows = page.locator('.events tbody tr')
        await rows.first().waitFor()
        await page.locator('.loading').waitFor({ state: 'detached' })
        await expectAccessible(page, 'report')
        await rows.first().focus()
        await page.keyboard.press('Enter')
        const dialog = page.getByRole('dialog')
        await dialog.getByRole('heading', { name: /Problems/ }).waitFor()
        await expectAccessible(page, 'report with the details dialog open')
        await page.keyboard.press('Escape')
        await dialog.waitFor({ state: 'detached' })
        await page.getByRole('button', { name: 'Download', exact: true }).click()
        const download = page.getByRole('dialog', { name: 'Download the report' })
        await download.waitFor()
        await expectAccessible(page, 'report with the Download dialog open')
        await page.keyboard.press('Escape')
        await download.waitFor({ state: 'detached' })
      })

      test('Exports and one export’s page', async () => {
        if (!exportID) {
          // The demo school has no exports of its own: one is requested through the API, as
          // the Download dialog would (its email goes to the server's outbox folder).
          const data = await pageGql(page, `mutation { requestExport(filter: { activeOnly: true }) { id } }`)
          exportID = data.requestExport.id
        }
        await page.goto(`${server.url}/exports`)
        await page.getByRole('heading', { name: 'Exports', exact: true }).waitFor()
        await page.locator('.loading').waitFor({ state: 'detached' })
        await expectAccessible(page, 'Exports')
        await page.goto(`${server.url}/exports/${encodeURIComponent(exportID)}`)
        await page.getByRole('heading', { name: /^Status:/ }).waitFor()
        await page.locator('.loading').waitFor({ state: 'detached' })
        await expectAccessible(page, 'an export’s page')
      })

      test('Sync health', async () => {
        await page.goto(`${server.url}/health`)
        await page.getByRole('heading', { name: 'Sync health', level: 1 }).waitFor()
        await page.locator('.health-card .runs-chart[role="img"]').first().waitFor()
        await page.locator('.loading').waitFor({ state: 'detached' })
        await expectAccessible(page, 'Sync health')
      })

      test('API tokens', async () => {
        await page.goto(`${server.url}/tokens`)
        await page.getByRole('heading', { name: 'API tokens' }).waitFor()
        await page.locator('.loading').waitFor({ state: 'detached' })
        await expectAccessible(page, 'API tokens')
      })
    })
  }
})
