// The report page's filters as a school admin uses them, at a desktop, a portrait tablet and a
// phone size, against the real server with the demo school: From after To, the quick date
// ranges, the details search, typing a date digit by digit, the chart's axis, the count line
// after live rows, and not one console error from sign-in to sign-out.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { parse } from 'csv-parse/sync'
import { launch, shot, watchPage } from './helpers.mjs'
import { clearOfMidnight, expectTableMatchesAPI, localInput, schoolInfo, shownCount, zonedInstant } from './report.mjs'
import { gql, signInDemoAdmin, startServer, stopServer } from './server.mjs'

/** VIEWPORTS are the sizes every check runs at. */
export const VIEWPORTS = [
  { name: 'desktop', width: 1440, height: 900 },
  { name: 'tablet', width: 768, height: 1024 },
  { name: 'phone', width: 390, height: 844 },
]

/** NOW_MAX_ROWS is the server's "Download now" limit in these tests: small, so the demo exceeds it. */
const NOW_MAX_ROWS = 40

/** HEADER is the product description's eleven CSV columns. */
const HEADER = ['updated', 'added', 'deleted', 'disabled', 'event', 'syncprofile_name', 'errors', 'date_finished', 'processed', 'date_started', 'details']

/** addDays moves a calendar date ("2026-03-05") by n days. */
function addDays(date, n) {
  const [y, m, d] = date.split('-').map(Number)
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10)
}

describe('the report page at three sizes', () => {
  let server
  let browser

  before(async () => {
    server = await startServer({ env: { PROVREPORT_DOWNLOAD_NOW_MAX_ROWS: String(NOW_MAX_ROWS) } })
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
      let tz = 'UTC'
      const rows = () => page.locator('.events tbody tr')

      before(async () => {
        const context = await browser.newContext({ viewport: { width: vp.width, height: vp.height } })
        page = await context.newPage()
        problems = watchPage(page)
        await signInDemoAdmin(page, server.url)
        await rows().first().waitFor()
        tz = (await schoolInfo(page)).timezone
      })

      test('From after To is an error at once, and the table stops showing the old range', async () => {
        await page.goto(`${server.url}/`)
        await rows().first().waitFor()
        const today = localInput(new Date(), tz).slice(0, 10)
        const to = page.getByLabel('To', { exact: true })
        const from = page.getByLabel('From', { exact: true })
        await to.fill(`${addDays(today, -3)}T09:00`)
        await to.press('Enter')
        await page.waitForURL((u) => u.searchParams.has('to'))
        // From edited last, later than To: the error is under From, without leaving the field
        // (the wait is generous so that a busy machine cannot fail it; no blur ever happens).
        await from.fill(`${addDays(today, -1)}T09:00`)
        const err = page.locator('.field-error', { hasText: 'From must be earlier than To' })
        await err.waitFor({ timeout: 5000 })
        // Filled one after the other without a pause: To's blur commits it while From is typed.
        await page.goto(`${server.url}/`)
        await rows().first().waitFor()
        await to.fill(`${addDays(today, -3)}T09:00`)
        await from.fill(`${addDays(today, -1)}T09:00`)
        await err.waitFor({ timeout: 5000 })
        assert.equal(await from.getAttribute('aria-invalid'), 'true')
        assert.equal(await to.getAttribute('aria-invalid'), 'true')
        await page.getByText('Nothing is shown for this range').waitFor()
        assert.equal(await page.locator('.events').count(), 0, 'the old table is gone')
        assert.equal(await page.locator('.totals').count(), 0, 'the old totals are gone')
        // Edited last, To takes the message.
        await to.fill(`${addDays(today, -2)}T09:00`)
        await page.locator('.field:has(input[aria-invalid="true"]) .field-error').waitFor()
        assert.equal(await page.locator('.field-error', { hasText: 'From must be earlier' }).count(), 1)
        assert.match(await to.getAttribute('aria-describedby'), /err/)
        // Fixed: the table is back, with the new range.
        await to.fill(`${today}T09:00`)
        await to.press('Enter')
        await page.waitForURL((u) => u.searchParams.get('to') === `${today}T09:00` && u.searchParams.has('from'))
        assert.equal(await page.locator('.field-error').count(), 0)
        await expectTableMatchesAPI(page, {
          activeOnly: true,
          from: zonedInstant(`${addDays(today, -1)}T09:00`, tz),
          to: zonedInstant(`${today}T09:00`, tz),
        })
      })

      test("a quick range sets From and To to the school's days", async () => {
        await page.goto(`${server.url}/`)
        await rows().first().waitFor()
        const range = page.getByLabel('Date range')
        await clearOfMidnight(tz)
        const today = localInput(new Date(), tz).slice(0, 10)
        await range.selectOption({ label: 'Last 7 days' })
        const want = { from: `${addDays(today, -6)}T00:00`, to: `${addDays(today, 1)}T00:00` }
        await page.waitForURL((u) => u.searchParams.get('from') === want.from && u.searchParams.get('to') === want.to)
        assert.equal(await page.getByLabel('From', { exact: true }).inputValue(), want.from)
        const n = await expectTableMatchesAPI(page, { activeOnly: true, from: zonedInstant(want.from, tz), to: zonedInstant(want.to, tz) })
        assert.ok(n > 0)
        // A bookmark of the range shows it by name.
        await page.reload()
        await rows().first().waitFor()
        assert.equal(await range.inputValue(), '7d')
        await range.selectOption({ label: 'Yesterday' })
        await page.waitForURL((u) => u.searchParams.get('from') === `${addDays(today, -1)}T00:00`)
        await range.selectOption({ label: 'Any time' })
        await page.waitForURL((u) => !u.searchParams.has('from') && !u.searchParams.has('to'))
      })

      test('the details search finds text in details and in problem messages, on the server', async () => {
        await page.goto(`${server.url}/?all=1`)
        await rows().first().waitFor()
        const box = page.getByLabel('Search details')
        // Only a problem's message says this; no event's details do.
        await box.fill('YEAR 13')
        await page.waitForURL((u) => u.searchParams.get('q') === 'YEAR 13')
        const n = await expectTableMatchesAPI(page, { activeOnly: false, search: 'YEAR 13' })
        assert.ok(n > 0, 'the demo has rejected rows for Year 13')
        for (const t of await page.locator('.events tbody tr td:nth-child(2)').allInnerTexts()) assert.match(t, /CSV/)
        await box.fill('timed out')
        await page.waitForURL((u) => u.searchParams.get('q') === 'timed out')
        assert.ok((await expectTableMatchesAPI(page, { activeOnly: false, search: 'timed out' })) > 0)
        await box.fill('no event says this')
        await page.getByText('No events match these filters').waitFor()
        await box.fill('')
        await page.waitForURL((u) => !u.searchParams.has('q'))
      })

      if (vp.name === 'desktop') {
        test('a date is typed digit by digit, without arrow keys', async () => {
          await page.goto(`${server.url}/`)
          await rows().first().waitFor()
          const before = await shownCount(page)
          const day = addDays(localInput(new Date(), tz).slice(0, 10), -10)
          const [y, m, d] = day.split('-')
          const from = page.getByLabel('From', { exact: true })
          await from.focus()
          // Chromium's control here is en-US: month, day, year, hour, minute, AM/PM.
          await page.keyboard.type(`${m}${d}${y}1200P`, { delay: 60 })
          await page.keyboard.press('Tab')
          await page.waitForURL((u) => u.searchParams.get('from') === `${day}T12:00`)
          assert.equal(await from.inputValue(), `${day}T12:00`)
          await expectTableMatchesAPI(page, { activeOnly: true, from: zonedInstant(`${day}T12:00`, tz) })
          assert.ok((await shownCount(page)) < before)
        })

        test("the chart's axis never repeats a label", async () => {
          // One event a day at most: the axis tops out at 1, where 0, ½ and 1 once read "0, 1, 1".
          await page.goto(`${server.url}/?type=USER_CSV_FAILED`)
          await page.locator('.chart svg .bar').first().waitFor()
          const labels = await page.locator('.chart svg text.axis-label[text-anchor="end"]').allTextContents()
          assert.ok(labels.length >= 2)
          assert.equal(new Set(labels).size, labels.length, `axis labels ${labels}`)
        })

        test('after live rows arrive the count line still says what the table shows', async () => {
          await page.goto(`${server.url}/?all=1`)
          await rows().first().waitFor()
          await page.locator('.live-state', { hasText: /^Live/ }).waitFor({ timeout: 15_000 })
          const total = await shownCount(page)
          const now = new Date().toISOString()
          const res = await gql(
            server.url,
            `mutation($in: [RecordEventInput!]!) { recordEvents(input: $in) { events { id } } }`,
            { in: [1, 2].map((i) => ({ type: 'SYNC_ERROR', startedAt: now, finishedAt: now, syncProfile: `Count ${i}`, errors: 1 })) },
            server.token,
          )
          assert.equal(res.errors, undefined, JSON.stringify(res.errors))
          await page.locator('.events tbody tr.new').nth(1).waitFor({ timeout: 15_000 })
          const n = await rows().count()
          for (const where of ['top', 'bottom']) {
            const line = (await page.locator(`.pager.${where} .pager-count`).innerText()).replace(/,/g, '')
            assert.match(line, new RegExp(`^${total + 2} events · showing ${n}$`), `${where} count line with ${n} rows`)
          }
        })
      }

      test('with no matching events Download says so and asks before sending', async () => {
        await page.goto(`${server.url}/?q=${encodeURIComponent('no event says this')}`)
        await page.getByText('No events match these filters').waitFor()
        const button = page.getByRole('button', { name: 'Download (0 events)' })
        await button.click()
        const ask = page.getByRole('alertdialog', { name: 'Download an empty report?' })
        await ask.getByText('No events match these filters').waitFor()
        await ask.getByRole('button', { name: 'Cancel' }).click()
        await ask.waitFor({ state: 'detached' })
        assert.equal(await page.locator('.download-message .alert').count(), 0, 'nothing was requested')
        await button.click()
        await ask.getByRole('button', { name: 'Send anyway' }).click()
        await page.locator('.download-message').getByText(/email with the download link is on its way/).waitFor()
      })

      test('Download now gives the file at once, with the user and problem columns when asked', async () => {
        await page.goto(`${server.url}/?type=USER_CSV_FAILED&type=USER_CSV_PROCESSED_WITH_ERRORS`)
        await rows().first().waitFor()
        const n = await shownCount(page)
        assert.ok(n > 0 && n <= NOW_MAX_ROWS, `the demo's failed uploads fit in one immediate download: ${n}`)
        await page.getByRole('button', { name: 'Download', exact: true }).click()
        const dialog = page.getByRole('dialog', { name: 'Download the report' })
        // Emailing the link stays the default: the first button, focused.
        assert.equal(await dialog.getByRole('button', { name: 'Email me the link' }).evaluate((b) => b === document.activeElement), true)
        await dialog.getByLabel('Include user and problem details').check()
        await shot(page, `download-dialog-${vp.name}`)
        const [file] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Download now' }).click()])
        assert.match(file.suggestedFilename(), /^provisioning-report-demo-beginning-\d{4}-\d{2}-\d{2}\.csv$/)
        const body = readFileSync(await file.path(), 'utf8')
        const records = parse(body.replace(/^\uFEFF/, ''), { relax_column_count: false })
        assert.deepEqual(records[0], [...HEADER, 'username', 'service', 'problems'])
        assert.equal(records.length - 1, n, 'one row per event the report shows')
        const problems = records.slice(1).map((r) => r[13]).filter(Boolean)
        assert.ok(problems.length > 0, 'the failed uploads list their problem rows')
        for (const p of problems) assert.match(p, /^line \d+, [^:]+: .+/)
        await page.locator('.download-message').getByText(new RegExp(`Downloaded ${n} events? as provisioning-report-demo-`)).waitFor()
        await dialog.waitFor({ state: 'detached' })
        await shot(page, `download-now-${vp.name}`)

        // Without the box ticked (it keeps its last state), exactly the eleven columns.
        await page.getByRole('button', { name: 'Download', exact: true }).click()
        await dialog.getByLabel('Include user and problem details').uncheck()
        const [plain] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Download now' }).click()])
        const plainRecords = parse(readFileSync(await plain.path(), 'utf8').replace(/^\uFEFF/, ''))
        assert.deepEqual(plainRecords[0], HEADER)
        assert.equal(plainRecords.length - 1, n)
      })

      test('more events than Download now serves: the dialog says so and offers the email', async () => {
        // The server runs with PROVREPORT_DOWNLOAD_NOW_MAX_ROWS=NOW_MAX_ROWS and says so
        // (Query.downloadNowMaxRows): the dialog follows the server's limit, so it never offers a
        // download the server would refuse with 413 (which the Go tests cover).
        let n = 0
        for (const q of ['?all=1', '?type=AUTHENTICATION_FAILED', '?type=SYNC_ERROR']) {
          await page.goto(`${server.url}/${q}`)
          await rows().first().waitFor()
          n = await shownCount(page)
          if (n > NOW_MAX_ROWS) break
        }
        assert.ok(n > NOW_MAX_ROWS, `a demo view with more than ${NOW_MAX_ROWS} events: ${n}`)
        await page.getByRole('button', { name: 'Download', exact: true }).click()
        const dialog = page.getByRole('dialog', { name: 'Download the report' })
        await dialog.getByText(`Over ${NOW_MAX_ROWS} events: too many to download at once`).waitFor()
        assert.equal(await dialog.getByRole('button', { name: 'Download now' }).isDisabled(), true)
        await shot(page, `download-too-many-${vp.name}`)
        await dialog.getByRole('button', { name: 'Email me the link' }).click()
        await page.locator('.download-message').getByText(/email with the download link is on its way/).waitFor()
      })

      test('the Exports page fits the screen with its Download button in view', async () => {
        await page.goto(`${server.url}/exports`)
        // The server runs with the default PROVREPORT_EXPORT_TTL of 7 days.
        await page.getByText('Links expire 7 days after the file is ready.').waitFor()
        const link = page.getByRole('link', { name: 'Download CSV' }).first()
        await link.waitFor({ timeout: 30_000 })
        const m = await page.evaluate(() => ({ page: document.documentElement.scrollWidth }))
        assert.ok(m.page <= vp.width, `the Exports page scrolls sideways at ${vp.width} px: ${m.page}`)
        const box = await link.boundingBox()
        assert.ok(box.x >= 0 && box.x + box.width <= vp.width, `Download CSV at ${box.x}+${box.width} of ${vp.width}`)
        // No word-per-line wrapping: the filter's description gets a usable width.
        const cell = await page.locator('.exports-list tbody tr').first().locator('td').nth(1).boundingBox()
        assert.ok(cell.width >= Math.min(240, vp.width - 80), `the Events cell is ${cell.width} px wide`)
      })

      if (vp.name === 'phone') {
        test('the report shows Date and Time, Event and the counts without scrolling sideways', async () => {
          for (const q of ['', '?type=AUTHENTICATION_FAILED&type=AUTHENTICATION', '?type=USER_CSV_PROCESSED_WITH_ERRORS']) {
            await page.goto(`${server.url}/${q}`)
            await rows().first().waitFor()
            const m = await page.evaluate(() => {
              const s = document.querySelector('.table-scroll')
              return { client: s.clientWidth, scroll: s.scrollWidth, page: document.documentElement.scrollWidth }
            })
            assert.ok(m.scroll <= m.client, `the table scrolls sideways (${q || 'default'}): ${m.scroll} > ${m.client}`)
            assert.ok(m.page <= vp.width, `the page scrolls sideways (${q || 'default'}): ${m.page}`)
            const first = rows().first()
            for (const sel of ['td.col-date', 'td.col-event', 'td.processed', 'td.added', 'td.updated', 'td.deleted', 'td.disabled', 'td.errors']) {
              const b = await first.locator(sel).boundingBox()
              assert.ok(b && b.x >= 0 && b.x + b.width <= vp.width && b.width > 0, `${sel} is in view: ${JSON.stringify(b)}`)
            }
          }
          // The cards still open the details.
          await rows().first().click()
          await page.getByRole('dialog').waitFor()
          await page.keyboard.press('Escape')
        })
      }

      test('not one console error, through to sign-out', async () => {
        await page.goto(`${server.url}/`)
        await rows().first().waitFor()
        // On a phone Sign out is in the header's menu.
        if (vp.width <= 560) await page.getByRole('button', { name: 'Menu' }).click()
        await page.getByRole('button', { name: 'Sign out' }).click()
        await page.waitForURL(/\/signin/)
        await page.getByLabel('Username').waitFor()
        await page.waitForTimeout(500)
        assert.deepEqual(problems.page, [])
        assert.deepEqual(problems.console, [])
        assert.deepEqual(problems.csp, [])
      })
    })
  }
})
