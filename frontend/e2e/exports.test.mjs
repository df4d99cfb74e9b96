// Download, end to end: the report's Download button → the export job → an email through a real
// SMTP server on 127.0.0.1 → the email's link → the export page (after signing in) → the CSV
// file, compared row by row with the GraphQL API's answer for the same filter. Then a failed
// export (its storage made unwritable from outside) shows why, and Try again builds it.
// PROVREPORT_BIN names the server binary (`make test` sets it); without it the tests fail.
import assert from 'node:assert/strict'
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { parse } from 'csv-parse/sync'
import { launch, watchPage } from './helpers.mjs'
import { startSMTP } from './mail.mjs'
import { apiEvents, daysAgo, expectTableMatchesAPI, schoolInfo, syncProfileID, typeTime, zonedInstant, zonedRFC3339 } from './report.mjs'
import { freePort, PASSWORD, startServer, stopServer } from './server.mjs'

/** HEADER is the CSV header existing scripts parse, in this order. */
const HEADER = 'updated,added,deleted,disabled,event,syncprofile_name,errors,date_finished,processed,date_started,details'
const ADMIN_EMAIL = 'admin@demo.example.edu'
const FROM_ADDRESS = 'reports@e2e.example.edu'

/** neutralise is what the export does to text cells so that a spreadsheet never runs them (export.Neutralise). */
const neutralise = (s) => (/^[\t\r]|^[\s\uFEFF]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]/.test(s) ? `'${s}` : s)

/** rangeWords is how the email says a wall-clock time: "5 Oct 2026 08:00". */
function rangeWords(local) {
  const [y, m, d] = local.slice(0, 10).split('-').map(Number)
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][m - 1]
  return `${d} ${month} ${y} ${local.slice(11, 16)}`
}

describe('Download through email to the CSV file', () => {
  let smtp
  let server
  let browser
  let page
  let problems
  let tz = 'UTC'

  before(async () => {
    smtp = await startSMTP()
    // A fixed port: the email's links are http://ADDR/exports/ID.
    server = await startServer({
      port: await freePort(),
      env: {
        PROVREPORT_SMTP_URL: smtp.url,
        PROVREPORT_SMTP_FROM: `provreport e2e <${FROM_ADDRESS}>`,
        // One try, so that a build that fails is FAILED at once rather than after River's backoff.
        PROVREPORT_EXPORT_ATTEMPTS: '1',
      },
    })
    browser = await launch()
    page = await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage()
    problems = watchPage(page)
  })

  after(async () => {
    await browser?.close()
    await stopServer(server)
    await smtp?.close()
  })

  async function signIn(p) {
    await p.getByLabel('School').fill('demo')
    await p.getByLabel('Username').fill('admin')
    await p.getByLabel('Password').fill(PASSWORD)
    await p.getByRole('button', { name: 'Sign in' }).click()
  }

  /** requestDownload clicks Download and returns the export's ID from the notice's link. */
  async function requestDownload() {
    await page.getByRole('button', { name: 'Download', exact: true }).click()
    // Emailing the link is the dialog's default: its first button, focused.
    await page.getByRole('dialog', { name: 'Download the report' }).getByRole('button', { name: 'Email me the link' }).click()
    const msg = page.locator('.download-message')
    await msg.getByText(/email with the download link is on its way to/).waitFor()
    assert.equal(await msg.locator('strong').innerText(), ADMIN_EMAIL)
    const href = await msg.getByRole('link').getAttribute('href')
    const id = href.match(/^\/exports\/([^/?#]+)$/)?.[1]
    assert.ok(id, href)
    return decodeURIComponent(id)
  }

  test('Download → email through SMTP → export page after sign-in → the CSV equals the API', async () => {
    await page.goto(`${server.url}/`)
    await page.waitForURL(/\/signin/)
    await signIn(page)
    await page.locator('table.events tbody tr').first().waitFor()
    const school = await schoolInfo(page)
    tz = school.timezone

    // Filters set through the UI: From, To and For Sync Profile (a few hundred events).
    const from = daysAgo(30, tz, '08:00')
    const to = daysAgo(5, tz, '17:30')
    await typeTime(page, 'From', from)
    await typeTime(page, 'To', to)
    await page.getByLabel('For Sync Profile').selectOption({ label: 'LDAP Staff' })
    await page.waitForURL((u) => u.searchParams.get('from') === from && u.searchParams.get('to') === to && u.searchParams.has('profile'))
    const filter = {
      activeOnly: true,
      from: zonedInstant(from, tz),
      to: zonedInstant(to, tz),
      syncProfileID: await syncProfileID(page, 'LDAP Staff'),
    }
    const total = await expectTableMatchesAPI(page, filter)
    assert.ok(total > 50, `a filter with more than one page of events (${total})`)

    const id = await requestDownload()
    const link = `${server.url}/exports/${id}`

    // The email, as the SMTP server received it.
    // The demo's admin also gets sync health alerts (the demo holds failing and quiet profiles).
    const mail = await smtp.waitForMessage((m) => m.envelope.to.includes(ADMIN_EMAIL) && m.subject?.startsWith('Provisioning report for '))
    assert.equal(mail.from.value[0].address, FROM_ADDRESS)
    assert.equal(mail.subject, `Provisioning report for ${school.name}, ${rangeWords(from)} to ${rangeWords(to)}`)
    assert.ok(mail.text, 'a text part')
    assert.ok(mail.html, 'an HTML part')
    assert.ok(mail.text.includes(link), `text part links to ${link}:\n${mail.text}`)
    assert.ok(mail.text.includes(`${total} events`), `text part says ${total} events`)
    const hrefs = [...mail.html.matchAll(/href="([^"]+)"/g)].map((m) => m[1].replace(/&amp;/g, '&'))
    assert.ok(hrefs.includes(link), `HTML part links to ${link}: ${hrefs.join(' ')}`)

    // The link opened by someone not signed in: sign in first, then back to the export.
    const reader = await (await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true })).newPage()
    const readerProblems = watchPage(reader)
    await reader.goto(link)
    await reader.waitForURL(/\/signin\?next=/)
    assert.equal(new URL(reader.url()).searchParams.get('next'), `/exports/${id}`)
    await signIn(reader)
    await reader.waitForURL((u) => u.pathname === `/exports/${id}`)
    await reader.getByText('Sync profile: LDAP Staff').waitFor()
    const download = reader.getByRole('link', { name: /Download the report/ })
    await download.waitFor({ timeout: 30_000 })
    const [file] = await Promise.all([reader.waitForEvent('download'), download.click()])
    assert.match(file.suggestedFilename(), /\.csv$/)
    assert.equal(await file.failure(), null)
    const file8 = readFileSync(await file.path(), 'utf8')
    // A UTF-8 byte-order mark (so Excel reads non-ASCII names right), then the exact header.
    assert.equal(file8.charCodeAt(0), 0xfeff)
    const csv = file8.slice(1)
    assert.equal(csv.split('\r\n')[0], HEADER)
    const records = parse(csv, { relax_column_count: false })
    assert.equal(records[0].join(','), HEADER)
    // Go's csv.Writer with CRLF line ends writes a line break inside a cell as CRLF too.
    const body = records.slice(1).map((r) => [...r.slice(0, 10), r[10]?.replace(/\r\n/g, '\n')])

    // The API's answer for the same filter, every page of it.
    const api = await apiEvents(reader, filter, { pageSize: 100, all: true })
    assert.equal(api.totalCount, total)
    assert.equal(api.events.length, total)
    assert.equal(body.length, total, 'one CSV row per event')
    const want = api.events.map((e) => [
      String(e.updated),
      String(e.added),
      String(e.deleted),
      String(e.disabled),
      neutralise(e.typeName),
      neutralise(e.syncProfile?.name ?? ''),
      String(e.errors),
      zonedRFC3339(e.finishedAt, tz),
      String(e.processed),
      zonedRFC3339(e.startedAt, tz),
      neutralise(e.details),
    ])
    for (let i = 0; i < want.length; i++) assert.deepEqual(body[i], want[i], `CSV row ${i + 1}`)
    assert.deepEqual(readerProblems.page, [])
    assert.deepEqual(readerProblems.csp, [])
    await reader.context().close()
  })

  test('a failed export says why on its page, and Try again builds it', async () => {
    // The export files' folder (DATA_DIR/exports, files under exports/SCHOOL/ID.csv) is made
    // unusable from outside: its subfolder is replaced by a plain file.
    const keyDir = join(server.dir, 'data', 'exports', 'exports')
    const saved = `${keyDir}.saved`
    if (existsSync(keyDir)) renameSync(keyDir, saved)
    writeFileSync(keyDir, 'not a folder\n')
    let restored = false
    const restore = () => {
      if (restored) return
      restored = true
      rmSync(keyDir, { force: true })
      if (existsSync(saved)) renameSync(saved, keyDir)
    }
    try {
      await page.goto(`${server.url}/?type=USER_CSV_FAILED`)
      await page.locator('table.events tbody tr').first().waitFor()
      const id = await requestDownload()
      await page.locator('.download-message').getByRole('link').click()
      await page.waitForURL((u) => u.pathname === `/exports/${id}`)
      const alert = page.getByRole('alert').filter({ hasText: 'The export failed.' })
      await alert.waitFor({ timeout: 30_000 })
      const why = (await alert.locator('p').first().innerText()).replace('The export failed.', '').trim()
      assert.notEqual(why, 'No reason was given.')
      assert.match(why, /not a directory|file exists/i, why)
      if (process.env.E2E_VERBOSE) console.error(`export failed: ${why}`)
      await page.locator('.status-badge', { hasText: 'Failed' }).waitFor()

      restore()
      await alert.getByRole('button', { name: 'Try again' }).click()
      await page.getByRole('link', { name: /Download the report/ }).waitFor({ timeout: 30_000 })
      await page.locator('.status-badge', { hasText: 'Ready' }).waitFor()
      assert.equal(await page.getByRole('alert').filter({ hasText: 'The export failed.' }).count(), 0)
      // The retried export is emailed like any other.
      const mail = await smtp.waitForMessage((m) => m.text?.includes(`/exports/${id}\n`) || m.text?.includes(`/exports/${id}\r\n`))
      assert.match(mail.subject, /^Provisioning report for /)
    } finally {
      restore()
    }
    assert.deepEqual(problems.page, [])
    assert.deepEqual(problems.csp, [])
  })
})
