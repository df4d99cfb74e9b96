// Sync health in the dashboard, against the real server: runs recorded through the API make a
// sync that deleted far more than usual, one whose last run failed and a healthy one. The Sync
// health page orders and describes them and marks the flagged run in its chart, and follows a
// new run over the live feed; the header counts the profiles needing attention; in the report
// the flagged row carries its reason, "Flagged runs only" keeps only flagged runs (and stays in
// the URL), and the details dialog explains the flag with its numbers. Not one console error,
// and axe finds nothing serious on the page or the dialog.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { after, before, describe, test } from 'node:test'
import { launch, shot, watchPage } from './helpers.mjs'
import { apiEvents, pageGql, syncProfileID } from './report.mjs'
import { gql, signInDemoAdmin, startServer, stopServer } from './server.mjs'

const require = createRequire(import.meta.url)
const AXE_SOURCE = require('axe-core').source

const RECORD = `mutation($in: [RecordEventInput!]!) { recordEvents(input: $in) { events { id flags } } }`
const MASS = 'Health Staff LDAP'
const FAILING = 'Health Students LDAP'
const HEALTHY = 'Health Teachers LDAP'

/** runs returns n hourly runs of a profile ending minutes ago, each with the counts in last for the final one. */
function runs(profile, n, last = {}) {
  const end = Date.now() - 10 * 60_000
  return Array.from({ length: n }, (_, i) => {
    const at = new Date(end - (n - 1 - i) * 3_600_000).toISOString()
    const final = i === n - 1
    return {
      type: 'ACCOUNT_SYNCHRONIZATION',
      startedAt: at,
      finishedAt: at,
      syncProfile: profile,
      processed: 1300 + (i % 3) * 50,
      updated: 3,
      ...(final ? last : {}),
    }
  })
}

async function expectAccessible(page, what) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE)
  const results = await page.evaluate(() =>
    window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    }),
  )
  const blocking = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  assert.deepEqual(
    blocking.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `${what}: axe found serious or critical violations`,
  )
}

/** attentionText is the header's summary for the profiles as the API judges them. */
function attentionText(profiles) {
  const n = profiles.filter((p) => ['FAILING', 'QUIET', 'WARNING'].includes(p.health.status)).length
  return n === 0 ? 'All syncs healthy' : n === 1 ? '1 profile needs attention' : `${n} profiles need attention`
}

describe('sync health in the dashboard', () => {
  let server
  let browser
  let page
  let problems

  before(async () => {
    server = await startServer()
    // Seven runs each, so every profile has a baseline and an expected interval.
    const input = [
      ...runs(MASS, 7, { deleted: 412 }),
      ...runs(FAILING, 6),
      { type: 'SYNC_ERROR', startedAt: new Date(Date.now() - 5 * 60_000).toISOString(), finishedAt: new Date(Date.now() - 5 * 60_000).toISOString(), syncProfile: FAILING, errors: 1 },
      ...runs(HEALTHY, 7),
    ]
    const res = await gql(server.url, RECORD, { in: input }, server.token)
    assert.equal(res.errors, undefined, JSON.stringify(res.errors))
    assert.deepEqual(res.data.recordEvents.events[6].flags, ['MASS_DELETE'], 'the mass delete is flagged when recorded')
    browser = await launch()
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
    page = await context.newPage()
    problems = watchPage(page)
    await signInDemoAdmin(page, server.url)
  })

  after(async () => {
    await browser?.close()
    await stopServer(server)
    assert.deepEqual(problems?.page ?? [], [], 'no uncaught errors')
    assert.deepEqual(problems?.console ?? [], [], 'no console errors')
  })

  test('the Sync health page: status, times, chart and report link per profile, those needing attention first', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sync health' }).click()
    await page.waitForURL((u) => u.pathname === '/health')
    await page.getByRole('heading', { name: 'Sync health', level: 1 }).waitFor()
    const cards = page.locator('.health-card')
    await page.locator('.health-card', { hasText: HEALTHY }).locator('.runs-chart[role="img"]').waitFor()

    const names = await cards.locator('h2').allTextContents()
    const at = (n) => names.indexOf(n)
    assert.ok(at(FAILING) >= 0 && at(MASS) >= 0 && at(HEALTHY) >= 0, `cards ${names}`)
    assert.ok(at(FAILING) < at(MASS) && at(MASS) < at(HEALTHY), `failing, then warning, then healthy: ${names}`)
    // Every card needing attention comes before every card that does not.
    const statuses = await cards.locator('.status-badge').allTextContents()
    const firstCalm = statuses.findIndex((s) => !['Failing', 'Stopped running', 'Warning'].includes(s))
    assert.ok(statuses.slice(firstCalm).every((s) => !['Failing', 'Stopped running', 'Warning'].includes(s)), `order ${statuses}`)

    const card = (n) => page.locator('.health-card', { has: page.getByRole('heading', { name: n, exact: true }) })
    assert.equal(await card(FAILING).locator('.status-badge').innerText(), 'Failing')
    assert.equal(await card(MASS).locator('.status-badge').innerText(), 'Warning')
    assert.equal(await card(HEALTHY).locator('.status-badge').innerText(), 'Healthy')
    assert.match(await card(MASS).innerText(), /Last run flagged: Mass delete/)
    for (const n of [MASS, HEALTHY]) {
      const facts = await card(n).locator('dd').allTextContents()
      assert.equal(facts.length, 3)
      assert.ok(facts.every((f) => /\d{4}, \d{2}:\d{2}/.test(f)), `${n}: last run, last success and next run are times: ${facts}`)
    }

    // The chart draws one bar per run and marks exactly the flagged one.
    await card(MASS).locator('.runs-chart g.run').nth(6).waitFor()
    assert.equal(await card(MASS).locator('.runs-chart g.run').count(), 7)
    assert.equal(await card(MASS).locator('.runs-chart g.run[data-flagged]').count(), 1)
    assert.match(await card(MASS).locator('.runs-chart').getAttribute('aria-label'), /last 7 runs: latest 1,300, most 1,400; 1 flagged/)
    assert.equal(await card(HEALTHY).locator('.runs-chart g.run[data-flagged]').count(), 0)
    // A run that failed outright is marked as well, though it carries no flag.
    assert.equal(await card(FAILING).locator('.runs-chart g.run[data-failed]').count(), 1)

    await expectAccessible(page, 'Sync health page')
    await shot(page, 'sync-health')

    // The header counts what the API says needs attention, and links here.
    const { syncProfiles } = await pageGql(page, `{ syncProfiles { name health { status } } }`)
    const summary = page.locator('.app-header .health-summary')
    assert.equal(await summary.innerText(), attentionText(syncProfiles))
    assert.equal(await summary.getAttribute('href'), '/health')

    // The report link opens that profile's runs, idle ones included.
    const id = await syncProfileID(page, MASS)
    await card(MASS).getByRole('link', { name: `Open the report for ${MASS}` }).click()
    await page.waitForURL((u) => u.pathname === '/' && u.searchParams.get('profile') === id && u.searchParams.get('all') === '1')
    await page.locator('.events tbody tr').nth(6).waitFor()
    assert.equal(await page.locator('.events tbody tr').count(), 7)
  })

  test('on a phone the cards stack and nothing scrolls sideways', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } })
    const phone = await context.newPage()
    const phoneProblems = watchPage(phone)
    await context.addCookies(await page.context().cookies())
    await phone.goto(`${server.url}/health`)
    await phone.locator('.health-card .runs-chart[role="img"]').first().waitFor()
    const m = await phone.evaluate(() => ({ page: document.documentElement.scrollWidth }))
    assert.ok(m.page <= 390, `the page scrolls sideways: ${m.page}`)
    await expectAccessible(phone, 'Sync health page on a phone')
    await context.close()
    assert.deepEqual([...phoneProblems.page, ...phoneProblems.console], [])
  })

  test('a new run arriving over the live feed updates its card and the header', async () => {
    await page.goto(`${server.url}/health`)
    const card = page.locator('.health-card', { has: page.getByRole('heading', { name: FAILING, exact: true }) })
    await card.locator('.runs-chart[role="img"]').waitFor()
    assert.equal(await card.locator('.status-badge').innerText(), 'Failing')
    const before = await page.locator('.app-header .health-summary').innerText()
    // The subscription must be up before the run is recorded: give the websocket a moment.
    await page.waitForTimeout(1500)
    const now = new Date().toISOString()
    const res = await gql(server.url, RECORD, { in: [{ type: 'ACCOUNT_SYNCHRONIZATION', startedAt: now, finishedAt: now, syncProfile: FAILING, processed: 1350 }] }, server.token)
    assert.equal(res.errors, undefined, JSON.stringify(res.errors))
    await card.locator('.status-badge', { hasText: 'Healthy' }).waitFor({ timeout: 15_000 })
    await card.locator('.runs-chart g.run').nth(7).waitFor({ timeout: 15_000 })
    const { syncProfiles } = await pageGql(page, `{ syncProfiles { name health { status } } }`)
    await page.locator('.app-header .health-summary', { hasText: attentionText(syncProfiles) }).waitFor({ timeout: 15_000 })
    assert.notEqual(await page.locator('.app-header .health-summary').innerText(), before, 'one profile fewer needs attention')
  })

  test('the report: a flagged row with its reason, Flagged runs only, and the explanation in the details', async () => {
    const id = await syncProfileID(page, MASS)
    await page.goto(`${server.url}/?profile=${encodeURIComponent(id)}`)
    const rows = page.locator('.events tbody tr')
    await rows.first().waitFor()
    const flagged = page.locator('.events tbody tr.flagged')
    assert.equal(await flagged.count(), 1)
    assert.equal(await flagged.locator('.flag-badge').textContent(), 'Flagged: Mass delete')
    assert.equal(await flagged.locator('.flag-reason').innerText(), 'Deleted 412 of ~1,350, above 10%')

    const toggle = page.getByRole('switch', { name: 'Flagged runs only' })
    assert.equal(await toggle.isChecked(), false)
    await toggle.check()
    await page.waitForURL((u) => u.searchParams.get('flagged') === '1')
    await page.locator('.pager.top .pager-count', { hasText: /^1 event\b/ }).waitFor()
    assert.equal(await rows.count(), 1)
    assert.equal(await page.locator('.events tbody tr.flagged').count(), 1)

    // Across every profile, the switch shows exactly the runs the API calls flagged.
    await page.goto(`${server.url}/?flagged=1&all=1`)
    assert.equal(await page.getByRole('switch', { name: 'Flagged runs only' }).isChecked(), true, 'the switch is read from the URL')
    await rows.first().waitFor()
    await page.locator('.loading').waitFor({ state: 'detached' })
    const api = await apiEvents(page, { flagged: true, activeOnly: false }, { pageSize: 50 })
    assert.ok(api.totalCount >= 1)
    assert.equal(await rows.count(), Math.min(50, api.totalCount))
    assert.equal(await page.locator('.events tbody tr:not(.flagged)').count(), 0, 'every row shown is flagged')

    await page.goto(`${server.url}/?profile=${encodeURIComponent(id)}&flagged=1`)
    await page.locator('.events tbody tr.flagged').first().waitFor()
    await page.mouse.move(0, 0)
    await shot(page, 'flagged-row')
    await page.locator('.events tbody tr.flagged').first().click()
    const dialog = page.getByRole('dialog')
    const why = dialog.getByRole('region', { name: 'Why this run is flagged' })
    await why.waitFor()
    const text = await why.innerText()
    assert.match(text, /Mass delete\. This run deleted 412 records\./)
    assert.match(text, /more than 10% of the baseline, ~1,350 records processed \(the median of the profile's 6 earlier successful runs\), that is more than 135 records\./)
    await dialog.getByRole('heading', { name: 'Details' }).waitFor()
    await page.locator('.dialog .loading').waitFor({ state: 'detached' })
    await expectAccessible(page, 'details dialog of a flagged run')
    await shot(page, 'flagged-run-details')
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
  })
})
