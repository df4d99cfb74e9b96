#!/usr/bin/env node
// Takes the dashboard's screenshots for docs/screenshots/ from a running server with the demo
// school. Usage: PROVREPORT_URL=http://127.0.0.1:8080 PROVREPORT_PASSWORD=… [PROVREPORT_TOKEN=prt_…]
// node scripts/screenshots.mjs [outDir]
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { launch, watchPage } from '../e2e/helpers.mjs'

const base = process.env.PROVREPORT_URL ?? 'http://127.0.0.1:8080'
const password = process.env.PROVREPORT_PASSWORD
if (!password) throw new Error('set PROVREPORT_PASSWORD to the demo admin password')
const out = resolve(process.argv[2] ?? new URL('../../docs/screenshots', import.meta.url).pathname)
mkdirSync(out, { recursive: true })

const browser = await launch()
try {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 })
  const page = await ctx.newPage()
  const problems = watchPage(page)

  await page.goto(`${base}/signin`)
  await page.getByLabel('School').waitFor()
  await page.screenshot({ path: `${out}/signin.png` })
  await page.getByLabel('School').fill('demo')
  await page.getByLabel('Username').fill('admin')
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.locator('table.events tbody tr').first().waitFor()
  await page.waitForTimeout(800)
  await page.screenshot({ path: `${out}/report.png` })

  // With the demo API token, record two events and catch them arriving live.
  const token = process.env.PROVREPORT_TOKEN
  if (token) {
    await page.locator('.live-state', { hasText: /^Live/ }).waitFor({ timeout: 15_000 })
    const now = new Date().toISOString()
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: 'mutation($in: [RecordEventInput!]!) { recordEvents(input: $in) { events { id } } }',
        variables: {
          in: [
            { type: 'USER_CSV_FAILED', dateStarted: now, dateFinished: now, syncProfile: 'User CSV Upload', username: 'admin', errors: 1, details: 'students-term2.csv: missing column "email".' },
            { type: 'ACCOUNT_SYNCHRONIZATION', dateStarted: now, dateFinished: now, syncProfile: 'LDAP Students', processed: 1350, added: 4, updated: 12 },
          ],
        },
      }),
    })
    if (!res.ok) throw new Error(`recordEvents: HTTP ${res.status}`)
    await page.locator('table.events tbody tr.new').nth(1).waitFor()
    await page.waitForTimeout(300)
    await page.screenshot({ path: `${out}/report-live.png` })
  }

  await page.getByRole('button', { name: /For Event/ }).click()
  await page.getByRole('checkbox', { name: /User CSV Processed With Errors/ }).check()
  await page.getByRole('checkbox', { name: /User CSV Failed/ }).check()
  await page.keyboard.press('Escape')
  await page.locator('table.events tbody tr').first().waitFor()
  await page.waitForTimeout(800)
  await page.locator('table.events tbody tr').first().click()
  await page.locator('dialog[open]').waitFor()
  await page.waitForTimeout(600)
  await page.screenshot({ path: `${out}/event-details.png` })
  await page.keyboard.press('Escape')

  await page.goto(`${base}/`)
  await page.getByRole('combobox', { name: 'For User' }).fill('sm')
  await page.getByRole('listbox').getByRole('option').first().waitFor()
  await page.keyboard.press('ArrowDown')
  await page.screenshot({ path: `${out}/user-typeahead.png`, clip: { x: 0, y: 0, width: 1440, height: 520 } })
  await page.keyboard.press('Escape')

  const tablet = await browser.newContext({ viewport: { width: 820, height: 1180 }, storageState: await ctx.storageState() })
  const tp = await tablet.newPage()
  await tp.goto(`${base}/`)
  await tp.locator('table.events tbody tr').first().waitFor()
  await tp.waitForTimeout(800)
  await tp.screenshot({ path: `${out}/report-tablet.png` })
  await tablet.close()

  for (const [path, name] of [
    ['/exports', 'exports'],
    ['/tokens', 'tokens'],
  ]) {
    await page.goto(`${base}${path}`)
    await page.waitForTimeout(1200)
    await page.screenshot({ path: `${out}/${name}.png` })
  }

  // The report's filters: a quick range, the details search, From after To, and Download with
  // nothing to download.
  await page.goto(`${base}/`)
  await page.locator('table.events tbody tr').first().waitFor()
  await page.getByLabel('Date range').selectOption({ label: 'Last 7 days' })
  await page.waitForURL(/from=/)
  await page.getByLabel('Search details').fill('year 13')
  await page.waitForURL(/q=year/)
  await page.locator('table.events tbody tr').first().waitFor()
  await page.waitForTimeout(800)
  await page.screenshot({ path: `${out}/report-search.png` })
  const from = await page.getByLabel('From', { exact: true }).inputValue()
  await page.getByLabel('To', { exact: true }).fill(`${from.slice(0, 10)}T06:00`)
  await page.getByLabel('From', { exact: true }).fill(`${from.slice(0, 10)}T12:00`)
  await page.getByText('Nothing is shown for this range').waitFor()
  await page.screenshot({ path: `${out}/report-range-error.png`, clip: { x: 0, y: 0, width: 1440, height: 560 } })
  await page.goto(`${base}/?q=no+event+says+this`)
  await page.getByRole('button', { name: 'Download (0 events)' }).click()
  await page.getByRole('alertdialog').waitFor()
  await page.screenshot({ path: `${out}/download-empty.png`, clip: { x: 0, y: 0, width: 1440, height: 560 } })
  await page.getByRole('button', { name: 'Send anyway' }).click()
  await page.locator('.download-message .alert').waitFor()

  // A portrait tablet and a phone.
  for (const [name, width, height] of [
    ['tablet-768', 768, 1024],
    ['phone', 390, 844],
  ]) {
    const c = await browser.newContext({ viewport: { width, height }, storageState: await ctx.storageState() })
    const p = await c.newPage()
    const pp = watchPage(p)
    await p.goto(`${base}/`)
    await p.locator('table.events tbody tr').first().waitFor()
    await p.waitForTimeout(800)
    await p.screenshot({ path: `${out}/report-${name}.png` })
    if (name === 'phone') {
      await p.locator('table.events').scrollIntoViewIfNeeded()
      await p.waitForTimeout(300)
      await p.screenshot({ path: `${out}/report-phone-rows.png` })
      await p.goto(`${base}/exports`)
      await p.getByRole('link', { name: 'Download CSV' }).first().waitFor({ timeout: 30_000 })
      await p.waitForTimeout(500)
      await p.screenshot({ path: `${out}/exports-phone.png` })
    }
    if (pp.page.length || pp.console.length) console.log(`${name} problems:`, pp)
    await c.close()
  }
  console.log(`screenshots in ${out}`)
  if (problems.page.length || problems.csp.length || problems.console.length) console.log('page problems:', problems)
} finally {
  await browser.close()
}
