// A run's page, a person's page and People, against the real server with the demo school: a
// sync run is recorded through the API with a sample of its changed accounts, some of those
// accounts sign in and some fail to, and the pages are checked in Chromium: the action filter,
// the name search, a row expanded to its attributes, paging both ways, the run's CSV, the
// person's timeline with an entry arriving live, adoption and the never-signed-in CSV, and not
// one console error.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { parse } from 'csv-parse/sync'
import { launch, shot, watchPage } from './helpers.mjs'
import { gql, signInDemoAdmin, startServer, stopServer } from './server.mjs'

/** PREFIX keeps this test's accounts apart from the demo school's. */
const PREFIX = 'rt'
/** ADDED, UPDATED and DISABLED are how many changes of each action the run sends. */
const ADDED = 40
const UPDATED = 25
const DISABLED = 5
/** COUNTED_UPDATED is what the run says it updated: more than it lists, so the list is a sample. */
const COUNTED_UPDATED = 340

/** NOW_MAX_ROWS is the server's "Download now" limit here: below the big run's 150 rows, above the small run's 4. */
const NOW_MAX_ROWS = 100

const RECORD = `mutation($in: [RecordEventInput!]!) { recordEvents(input: $in) { events { id } } }`

const pad = (n) => String(n).padStart(2, '0')
const student = (i) => `${PREFIX}.student${pad(i)}`

/** changesOfRun are the run's changed accounts as the agent sends them. */
function changesOfRun() {
  const changes = []
  for (let i = 1; i <= ADDED; i++) {
    changes.push({
      action: 'ADDED',
      username: student(i),
      // One display name a spreadsheet would run as a formula: the CSVs must neutralise it.
      displayName: i === 13 ? '=HYPERLINK("http://x","Click")' : `Student ${pad(i)}`,
      email: `${student(i)}@school.example`,
      attributes: [
        { name: 'givenName', old: null, new: `Student${pad(i)}` },
        { name: 'mail', old: null, new: `${student(i)}@school.example` },
        { name: 'memberOf', old: null, new: 'CN=Year 7,OU=Students' },
      ],
    })
  }
  for (let i = 1; i <= UPDATED; i++) {
    changes.push({
      action: 'UPDATED',
      username: `${PREFIX}.teacher${pad(i)}`,
      displayName: `Teacher ${pad(i)}`,
      attributes: [{ name: 'memberOf', old: 'CN=Staff', new: 'CN=Staff,CN=Year 7 Teachers' }],
    })
  }
  for (let i = 1; i <= DISABLED; i++) {
    changes.push({
      action: 'DISABLED',
      username: `${PREFIX}.leaver${pad(i)}`,
      attributes: [{ name: 'accountDisabled', old: 'false', new: 'true' }],
      message: 'Left the school',
    })
  }
  return changes
}

describe('a run, a person and People', () => {
  let server
  let browser
  let page
  let problems
  let runID = ''
  let smallRunID = ''
  const started = new Date(Date.now() - 3 * 60_000)
  const finished = new Date(Date.now() - 60_000)

  async function record(input) {
    const res = await gql(server.url, RECORD, { in: input }, server.token)
    assert.equal(res.errors, undefined, JSON.stringify(res.errors))
    return res.data.recordEvents.events.map((e) => e.id)
  }

  async function userID(username) {
    const res = await gql(server.url, 'query($s: String!) { users(search: $s, first: 5) { edges { node { id username } } } }', { s: username }, server.token)
    assert.equal(res.errors, undefined, JSON.stringify(res.errors))
    const u = res.data.users.edges.map((e) => e.node).find((n) => n.username === username)
    assert.ok(u, `user ${username} exists`)
    return u.id
  }

  function login(username, type = 'AUTHENTICATION', at = new Date()) {
    const t = at.toISOString()
    return { type, startedAt: t, finishedAt: t, username, ...(type === 'AUTHORISATION' ? { service: 'Canvas' } : {}) }
  }

  const changeRows = () => page.locator('table.changes tbody tr.change-row')
  const pagerCount = () => page.locator('.run-changes .pager.top .pager-count')

  before(async () => {
    server = await startServer({ env: { PROVREPORT_DOWNLOAD_NOW_MAX_ROWS: String(NOW_MAX_ROWS) } })
    browser = await launch()
    ;[runID] = await record([
      {
        type: 'ACCOUNT_SYNCHRONIZATION',
        startedAt: started.toISOString(),
        finishedAt: finished.toISOString(),
        syncProfile: 'LDAP Students',
        processed: 1400,
        added: ADDED,
        updated: COUNTED_UPDATED,
        disabled: DISABLED,
        details: 'Synchronised OU=Students and OU=Staff.',
        changes: changesOfRun(),
      },
    ])
    // A small upload whose changes CSV (4 rows) downloads at once.
    ;[smallRunID] = await record([
      {
        type: 'USER_CSV_PROCESSED',
        startedAt: started.toISOString(),
        finishedAt: started.toISOString(),
        syncProfile: 'User CSV Upload',
        processed: 3,
        updated: 2,
        disabled: 1,
        changes: [
          {
            action: 'UPDATED',
            username: `${PREFIX}.csv01`,
            // A display name a spreadsheet would run as a formula: the file must neutralise it.
            displayName: '=HYPERLINK("http://x","Click")',
            attributes: [
              { name: 'mail', old: 'a@school.example', new: 'b@school.example' },
              { name: 'givenName', old: null, new: 'Bea' },
            ],
          },
          { action: 'UPDATED', username: `${PREFIX}.csv02` },
          { action: 'DISABLED', username: `${PREFIX}.csv03`, attributes: [{ name: 'accountDisabled', old: 'false', new: 'true' }], message: 'Left the school' },
        ],
      },
    ])
    // Students 1 to 10 sign in; 11 to 40 never do. Student 1 also fails twice.
    const logins = []
    for (let i = 1; i <= 10; i++) logins.push(login(student(i), i % 2 ? 'AUTHENTICATION' : 'AUTHORISATION'))
    logins.push(login(student(1), 'AUTHENTICATION_FAILED'), login(student(1), 'AUTHENTICATION_FAILED'))
    await record(logins)

    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true, locale: 'en-AU' })
    page = await context.newPage()
    problems = watchPage(page)
    await signInDemoAdmin(page, server.url)
  })

  after(async () => {
    await browser?.close()
    await stopServer(server)
  })

  test('a run row of the report and its details dialog lead to the run page', async () => {
    const link = page.locator(`table.events a[href="/events/${encodeURIComponent(runID)}"]`)
    await link.waitFor()
    await link.click()
    await page.waitForURL((u) => u.pathname === `/events/${runID}`)
    await page.getByRole('heading', { name: /Account Synchronization/ }).waitFor()
    await page.goBack()
    await page.locator('table.events tbody tr').first().waitFor()
    await page.locator(`table.events a[href="/events/${encodeURIComponent(runID)}"]`).waitFor()
    // The row itself opens the details, whose footer links to the same page.
    await page.locator('table.events tbody tr', { has: page.locator(`a[href="/events/${encodeURIComponent(runID)}"]`) }).locator('td.num').first().click()
    await page.getByRole('dialog').getByRole('link', { name: "Open the run's page" }).click()
    await page.waitForURL((u) => u.pathname === `/events/${runID}`)
    assert.equal(await page.getByRole('dialog').count(), 0)
  })

  test('the run page shows counts, the sample note, and filters, searches, expands and pages its changes', async () => {
    await page.goto(`${server.url}/events/${encodeURIComponent(runID)}`)
    const counted = ADDED + COUNTED_UPDATED + DISABLED
    const recorded = ADDED + UPDATED + DISABLED
    await page.getByText(`The agent sent ${recorded} of the ${counted} changes this run counted`).waitFor()
    const counts = await page.locator('.facts.counts').innerText()
    assert.match(counts.replace(/\s+/g, ' '), new RegExp(`Processed 1,400 Added ${ADDED} Updated ${COUNTED_UPDATED}`, 'i'))
    await page.getByText('Synchronised OU=Students and OU=Staff.').waitFor()

    // Paging: 70 changes, 50 a page; Next, then Previous, on the server's cursors.
    await changeRows().nth(49).waitFor()
    assert.equal(await changeRows().count(), 50)
    assert.match(await pagerCount().innerText(), new RegExp(`${recorded} changed accounts`))
    const firstPage = await changeRows().allInnerTexts()
    await page.locator('.run-changes .pager.top').getByRole('button', { name: 'Next' }).click()
    await page.waitForURL((u) => u.searchParams.has('after'))
    await page.waitForFunction((n) => document.querySelectorAll('table.changes tbody tr.change-row').length === n, recorded - 50)
    const secondPage = await changeRows().allInnerTexts()
    assert.ok(secondPage.every((r) => !firstPage.includes(r)), 'the second page repeats nothing of the first')
    await page.locator('.run-changes .pager.top').getByRole('button', { name: 'Previous' }).click()
    await page.waitForFunction(() => document.querySelectorAll('table.changes tbody tr.change-row').length === 50)
    assert.deepEqual(await changeRows().allInnerTexts(), firstPage)
    await page.waitForURL((u) => !u.searchParams.has('before') && !u.searchParams.has('after'))

    // The action filter.
    await page.getByLabel('Action').selectOption('DISABLED')
    await page.waitForURL((u) => u.searchParams.get('action') === 'DISABLED')
    await page.waitForFunction((n) => document.querySelectorAll('table.changes tbody tr.change-row').length === n, DISABLED)
    for (const t of await changeRows().allInnerTexts()) assert.match(t, /Disabled/)

    // The name search, with the action filter cleared.
    await page.getByLabel('Action').selectOption('')
    await page.getByLabel('Search accounts').fill(student(7))
    await page.getByLabel('Search accounts').press('Enter')
    await page.waitForURL((u) => u.searchParams.get('q') === student(7))
    await page.waitForFunction(() => document.querySelectorAll('table.changes tbody tr.change-row').length === 1)
    assert.match(await changeRows().first().innerText(), new RegExp(student(7).replace('.', '\\.')))

    // Expanding the row shows its attributes, old → new.
    await changeRows().first().getByRole('button', { name: new RegExp(`Show the changes to ${student(7)}`) }).click()
    const detail = page.locator('table.changes tr.change-detail')
    await detail.waitFor()
    const text = (await detail.innerText()).replace(/\s+/g, ' ')
    assert.match(text, /givenName \(none\) → Student07/)
    assert.match(text, new RegExp(`mail \\(none\\) → ${student(7)}@school\\.example`))
    assert.match(text, /memberOf \(none\) → CN=Year 7,OU=Students/)
    await shot(page, 'run-page')
    assert.deepEqual(problems, { console: [], page: [], csp: [] })
  })

  test("a small run's changes download at once as CSV, one row per attribute change, formula-safe", async () => {
    await page.goto(`${server.url}/events/${encodeURIComponent(smallRunID)}`)
    await changeRows().first().waitFor()
    await page.getByRole('button', { name: "Download this run's changes" }).click()
    const dialog = page.getByRole('dialog', { name: "Download this run's changes" })
    await dialog.getByText('A CSV of 4 rows').waitFor()
    const [file] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Download now' }).click()])
    const raw = readFileSync(await file.path(), 'utf8')
    // The UTF-8 byte-order mark first, as in the report's file, so that Excel reads it as UTF-8.
    assert.ok(raw.startsWith('\uFEFFaction,username,'), `byte-order mark then header: ${JSON.stringify(raw.slice(0, 20))}`)
    const text = raw.slice(1)
    const rows = parse(text, { relax_column_count: false })
    assert.deepEqual(rows, [
      ['action', 'username', 'display_name', 'email', 'attribute', 'old', 'new', 'message'],
      ['UPDATED', `${PREFIX}.csv01`, `'=HYPERLINK("http://x","Click")`, '', 'mail', 'a@school.example', 'b@school.example', ''],
      ['UPDATED', `${PREFIX}.csv01`, `'=HYPERLINK("http://x","Click")`, '', 'givenName', '', 'Bea', ''],
      ['UPDATED', `${PREFIX}.csv02`, '', '', '', '', '', ''],
      ['DISABLED', `${PREFIX}.csv03`, '', '', 'accountDisabled', 'false', 'true', 'Left the school'],
    ])
    await page.locator('.run-download').getByText('Downloaded 4 rows').waitFor()
    assert.deepEqual(problems, { console: [], page: [], csp: [] })
  })

  test("a large run's changes go by the emailed link", async () => {
    await page.goto(`${server.url}/events/${encodeURIComponent(runID)}`)
    await changeRows().first().waitFor()
    await page.getByRole('button', { name: "Download this run's changes" }).click()
    const dialog = page.getByRole('dialog', { name: "Download this run's changes" })
    await dialog.getByText(`A CSV of ${ADDED * 3 + UPDATED + DISABLED} rows`).waitFor()
    await dialog.getByText(`Over ${NOW_MAX_ROWS} rows: too many to download at once`).waitFor()
    assert.equal(await dialog.getByRole('button', { name: 'Download now' }).count(), 0)
    await dialog.getByRole('button', { name: 'Email me the link' }).click()
    const notice = page.locator('.run-download .download-message')
    await notice.getByText('The file is being prepared').waitFor()
    await notice.getByRole('link', { name: "the export's page" }).click()
    await page.waitForURL((u) => /^\/exports\/[^/]+$/.test(u.pathname))
    await page.getByRole('heading', { name: /export/i }).first().waitFor()
    assert.deepEqual(problems, { console: [], page: [], csp: [] })
  })

  test('a person page: who, provisioned by which run, sign-ins, and the timeline, live', async () => {
    await page.goto(`${server.url}/events/${encodeURIComponent(runID)}?q=${student(1)}`)
    await page.waitForFunction(() => document.querySelectorAll('table.changes tbody tr.change-row').length >= 1)
    await changeRows().first().getByRole('link', { name: student(1), exact: true }).click()
    const id = await userID(student(1))
    await page.waitForURL((u) => u.pathname === `/users/${id}`)
    // The heading is the account's display name, which is its username until something sets one.
    await page.getByRole('heading', { name: new RegExp(`^(Student 01|${student(1).replace('.', '\\.')})$`) }).waitFor()
    const facts = (await page.locator('.person-facts').innerText()).replace(/\s+/g, ' ')
    assert.match(facts, /Provisioned .* by LDAP Students/i)
    assert.match(facts, /Failed sign-ins, last 7 days 2\b/i)
    assert.doesNotMatch(facts, /Never signed in/i)
    await page.locator('.person-facts').getByRole('link', { name: 'LDAP Students' }).waitFor()
    const items = page.locator('.timeline .timeline-item')
    await items.first().waitFor()
    assert.equal(await items.count(), 4, 'added by the run, one sign-in, two failed sign-ins')
    assert.match(await page.locator('.timeline').innerText(), /Added by LDAP Students/)

    await shot(page, 'person-page')

    // A new sign-in arrives while the page is open.
    await page.locator('.timeline-card .live-state', { hasText: /^Live/ }).waitFor({ timeout: 15_000 })
    await record([login(student(1), 'AUTHORISATION')])
    await page.locator('.timeline .timeline-item.new', { hasText: 'Signed in to Canvas' }).waitFor({ timeout: 10_000 })
    assert.equal(await items.count(), 5)
    assert.deepEqual(problems, { console: [], page: [], csp: [] })
  })

  test('the For User typeahead leads to the person page', async () => {
    await page.goto(`${server.url}/`)
    await page.locator('table.events tbody tr').first().waitFor()
    await page.getByRole('combobox', { name: 'For User' }).fill(student(2))
    await page.getByRole('option', { name: new RegExp(student(2).replace('.', '\\.')) }).first().click()
    await page.getByRole('link', { name: "Open this person's page" }).click()
    const id = await userID(student(2))
    await page.waitForURL((u) => u.pathname === `/users/${id}`)
    await page.getByRole('heading', { name: new RegExp(`^(Student 02|${student(2).replace('.', '\\.')})$`) }).waitFor()
  })

  test('People: adoption per profile and the never-signed-in list as CSV', async () => {
    await page.goto(`${server.url}/`)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People' }).click()
    await page.waitForURL((u) => u.pathname === '/people')
    const row = page.locator('table.adoption tbody tr', { hasText: 'LDAP Students' })
    await row.locator('td.num').first().filter({ hasText: /\d/ }).waitFor()
    const cells = await row.locator('td.num').allInnerTexts()
    const [provisioned, signedIn, never] = cells.map((c) => Number(c.replace(/,/g, '')))
    assert.ok(provisioned >= ADDED, `provisioned ${provisioned}`)
    assert.equal(provisioned, signedIn + never)
    assert.ok(never >= ADDED - 10, `never signed in ${never}`)
    await row.getByRole('button', { name: 'LDAP Students' }).click()
    await page.waitForURL((u) => u.searchParams.has('profile'))
    const list = page.locator('table.never-list tbody tr')
    // The list of every profile may still be shown until the chosen profile's arrives.
    await page.locator('.never-card .pager-count', { hasText: new RegExp(`^${never.toLocaleString('en-AU')} people`) }).waitFor()
    await list.first().waitFor()
    assert.equal(await list.count(), Math.min(never, 50))
    await shot(page, 'people')

    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()])
    const text = readFileSync(await file.path(), 'utf8')
    assert.ok(text.startsWith('\uFEFF'))
    const rows = parse(text.slice(1))
    assert.deepEqual(rows[0], ['username', 'display_name', 'email', 'provisioned_at', 'sync_profile'])
    assert.equal(rows.length - 1, never)
    // No cell of the file can run as a formula (the cells' rule itself is unit-tested in csv.test.ts).
    for (const r of rows.slice(1)) for (const cell of r) assert.doesNotMatch(cell, /^\s*[=+\-@]/, `cell ${cell}`)
    assert.ok(rows.some((r) => r[0] === student(11)), 'a student who never signed in is listed')
    assert.ok(!rows.some((r) => r[0] === student(1)), 'a student who signed in is not')
    assert.deepEqual(problems, { console: [], page: [], csp: [] })
  })
})
