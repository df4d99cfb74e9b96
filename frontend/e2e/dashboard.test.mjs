// The dashboard against the real server (PROVREPORT_BIN) with the demo school, in Chromium.
// Skipped, with a note, when PROVREPORT_BIN is not set (`make test` sets it).
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { launch, watchPage } from './helpers.mjs'
import { apiEvents, daysAgo, expectTableMatchesAPI, localInput, schoolInfo, syncProfileID, typeTime, userID, zonedInstant } from './report.mjs'
import { gql, PASSWORD, startServer, stopServer } from './server.mjs'


describe('dashboard against the real server', () => {
  let server
  let browser
  let context
  let page
  let problems
  /** The school's time zone, in which From and To are read. */
  let tz = 'UTC'

  before(async () => {
    server = await startServer()
    browser = await launch()
    context = await browser.newContext({ viewport: { width: 1366, height: 900 } })
    page = await context.newPage()
    problems = watchPage(page)
  })

  after(async () => {
    await browser?.close()
    await stopServer(server)
  })

  async function signIn(password = PASSWORD) {
    await page.getByLabel('School').fill('demo')
    await page.getByLabel('Username').fill('admin')
    await page.getByLabel('Password').fill(password)
    await page.getByRole('button', { name: 'Sign in' }).click()
  }

  const rows = () => page.locator('table.events tbody tr')
  const firstRowText = async () => (await rows().first().innerText()).replace(/\s+/g, ' ')
  async function count() {
    const text = await page.locator('.pager.top .pager-count').innerText()
    const m = text.replace(/,/g, '').match(/(\d+) events?/)
    return m ? Number(m[1]) : NaN
  }
  async function settled() {
    await page.locator('table.events[aria-busy="true"]').waitFor({ state: 'detached' }).catch(() => {})
    await rows().first().waitFor()
  }

  test('a signed-out visitor is sent to sign in and comes back to the page asked for', async () => {
    await page.goto(`${server.url}/?type=SYNC_ERROR`)
    await page.waitForURL(/\/signin\?next=/)
    assert.equal(new URL(page.url()).searchParams.get('next'), '/?type=SYNC_ERROR')
    await signIn('wrong-password')
    await page.getByRole('alert').filter({ hasText: 'not right' }).waitFor()
    await signIn()
    await page.waitForURL((u) => u.pathname === '/' && u.search === '?type=SYNC_ERROR')
    await settled()
    await page.getByRole('banner').getByText('School Admin').waitFor()
    await page.getByRole('banner').getByText('Demo', { exact: false }).first().waitFor()
    tz = (await schoolInfo(page)).timezone
  })

  test('the report has the columns, totals and chart of the product description', async () => {
    await page.goto(`${server.url}/`)
    await settled()
    const headers = (await page.locator('table.events thead th').allInnerTexts()).map((t) => t.split('\n')[0].trim().toLowerCase())
    assert.deepEqual(headers, ['date and time', 'event', 'sync profile', 'user', 'processed', 'added', 'updated', 'deleted', 'disabled', 'errors'])
    for (const label of ['Added', 'Updated', 'Deleted', 'Disabled', 'Errors', 'Failed logins']) {
      await page.locator('.totals dt', { hasText: new RegExp(`^${label}$`) }).waitFor()
    }
    await page.locator('.chart svg .bar').first().waitFor()
    for (const label of ['From', 'To', 'For User', 'For Sync Profile', 'For Event', 'Filter Events for Activity']) {
      assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, label)
    }
    assert.equal(await page.getByLabel('Filter Events for Activity').isChecked(), true)
    assert.equal(await rows().count(), 50)
    // No filter set: the API's default (activity only), newest first.
    await expectTableMatchesAPI(page, { activeOnly: true })
  })

  test('For Event narrows the table, lives in the URL, and Back undoes it', async () => {
    await page.goto(`${server.url}/`)
    await settled()
    await page.getByRole('button', { name: /For Event/ }).click()
    await page.getByRole('checkbox', { name: /Authentication Failed/ }).check()
    await page.keyboard.press('Escape')
    await page.waitForURL(/type=AUTHENTICATION_FAILED/)
    await settled()
    const names = await page.locator('table.events tbody tr td:nth-child(2)').allInnerTexts()
    assert.ok(names.length > 0)
    for (const n of names) assert.match(n, /^Authentication Failed/)
    await expectTableMatchesAPI(page, { activeOnly: true, types: ['AUTHENTICATION_FAILED'] })

    // One or more: a second type adds to the first.
    await page.getByRole('button', { name: /For Event/ }).click()
    await page.getByRole('checkbox', { name: 'Sync Error', exact: true }).check()
    await page.keyboard.press('Escape')
    await page.waitForURL((u) => new URL(u).searchParams.getAll('type').length === 2)
    assert.ok((await expectTableMatchesAPI(page, { activeOnly: true, types: ['SYNC_ERROR', 'AUTHENTICATION_FAILED'] })) > 0)

    await page.goBack()
    await page.waitForURL((u) => new URL(u).searchParams.getAll('type').join() === 'AUTHENTICATION_FAILED')
    await page.goBack()
    await page.waitForURL((u) => !u.search.includes('type='))
    await page.getByRole('button', { name: /For Event/ }).filter({ hasText: 'All events' }).waitFor()
  })

  test('unticking Filter Events for Activity shows the idle sync runs too', async () => {
    await page.goto(`${server.url}/`)
    await settled()
    const active = await count()
    await page.getByLabel('Filter Events for Activity').uncheck()
    await page.waitForURL(/all=1/)
    await page.waitForFunction((n) => {
      const t = document.querySelector('.pager.top .pager-count')?.textContent?.replace(/,/g, '') ?? ''
      return Number(t.match(/(\d+) events?/)?.[1]) > n
    }, active)
    assert.ok((await count()) > active)
    await expectTableMatchesAPI(page, { activeOnly: false })
  })

  test('For User is a keyboard typeahead', async () => {
    await page.goto(`${server.url}/`)
    await settled()
    const box = page.getByRole('combobox', { name: 'For User' })
    await box.fill('smith')
    const options = page.getByRole('listbox').getByRole('option')
    await options.first().waitFor()
    assert.equal(await box.getAttribute('aria-expanded'), 'true')
    // The demo is generated relative to the current time, so a user it offers may have no events on
    // some days; the test chooses, with the keyboard, the first offered user who has some.
    const offered = (await options.locator('.option-sub').allInnerTexts()).map((t) => t.split(' · ')[0].trim())
    let pick = -1
    for (const [i, name] of offered.entries()) {
      const { totalCount } = await apiEvents(page, { activeOnly: false, userID: await userID(page, name) }, { pageSize: 1 })
      if (totalCount > 0) {
        pick = i
        break
      }
    }
    assert.ok(pick >= 0, `none of the users offered for "smith" has events: ${offered.join(', ')}`)
    // The first option is active when the list opens: down one past the pick, then up.
    for (let i = 0; i <= pick; i++) await box.press('ArrowDown')
    await box.press('ArrowUp')
    await box.press('Enter')
    await page.waitForURL(/user=/)
    const label = await box.inputValue()
    const username = label.match(/\(([^)]+)\)$/)?.[1] ?? label
    assert.equal(username, offered[pick])
    const id = await userID(page, username)
    await expectTableMatchesAPI(page, { activeOnly: true, userID: id })
    await page.getByLabel('Filter Events for Activity').uncheck()
    await page.waitForURL(/all=1/)
    await settled()
    const users = await page.locator('table.events tbody tr td:nth-child(4)').allInnerTexts()
    for (const u of users) assert.equal(u.split('\n')[0], username)
    await expectTableMatchesAPI(page, { activeOnly: false, userID: id })
    await box.focus()
    await box.press('Escape')
    await page.waitForURL((u) => !u.search.includes('user='))
  })

  test('a row opens its details with the problems table', async () => {
    await page.goto(`${server.url}/?type=USER_CSV_PROCESSED_WITH_ERRORS`)
    await settled()
    await rows().first().focus()
    await page.keyboard.press('Enter')
    const dialog = page.getByRole('dialog')
    await dialog.waitFor()
    for (const h of ['Started', 'Finished', 'Duration']) await dialog.getByText(h, { exact: true }).waitFor()
    await dialog.getByRole('heading', { name: /Problems/ }).waitFor()
    const heads = await dialog.locator('table.problems thead th').allInnerTexts()
    assert.deepEqual(
      heads.map((h) => h.trim().toLowerCase()),
      ['line', 'field', 'message'],
    )
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
  })

  test('cursor paging, page size and sort order', async () => {
    await page.goto(`${server.url}/`)
    await settled()
    const first = await firstRowText()
    await page.getByRole('button', { name: 'Next' }).first().click()
    await page.waitForURL(/after=/)
    await settled()
    assert.notEqual(await firstRowText(), first)
    await page.getByRole('button', { name: 'Previous' }).first().click()
    await page.waitForURL((u) => !u.search.includes('after=') && !u.search.includes('before='))
    await settled()
    assert.equal(await firstRowText(), first)

    await page.getByLabel('Rows per page').selectOption('25')
    await page.waitForURL(/size=25/)
    await settled()
    assert.equal(await rows().count(), 25)

    const newest = await rows().first().locator('time').getAttribute('datetime')
    await page.getByRole('button', { name: /Date and Time/ }).click()
    await page.waitForURL(/order=asc/)
    await settled()
    const oldest = await rows().first().locator('time').getAttribute('datetime')
    assert.ok(Date.parse(oldest) < Date.parse(newest), `${oldest} < ${newest}`)
  })

  test('dragging across the chart narrows From and To', async () => {
    await page.goto(`${server.url}/`)
    await settled()
    const hit = page.locator('.chart-hit')
    const box = await hit.boundingBox()
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2)
    await page.mouse.down()
    await page.mouse.move(box.x + box.width * 0.45, box.y + box.height / 2, { steps: 5 })
    await page.mouse.up()
    await page.waitForURL((u) => u.searchParams.has('from') && u.searchParams.has('to'))
    const from = await page.getByLabel('From', { exact: true }).inputValue()
    const to = await page.getByLabel('To', { exact: true }).inputValue()
    assert.match(from, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/)
    assert.ok(from < to)
    await settled()
  })

  test('typing into From filters too', async () => {
    await page.goto(`${server.url}/`)
    await settled()
    const before = await count()
    const to = await page.getByLabel('To', { exact: true })
    // Last ten days, typed: the date-time control takes keystrokes segment by segment (en-US
    // order in this Chromium) and moves on after the year's fourth digit by itself.
    const d = new Date(Date.now() - 10 * 86_400_000)
    await page.getByLabel('From', { exact: true }).focus()
    await page.keyboard.type(`${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}${d.getFullYear()}`)
    await page.keyboard.type('1200P')
    await to.focus()
    await page.waitForURL(/from=/)
    await settled()
    assert.ok((await count()) < before)
    const typed = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}T12:00`
    assert.equal(await page.getByLabel('From', { exact: true }).inputValue(), typed)
    assert.equal(new URL(page.url()).searchParams.get('from'), typed)
    assert.ok((await expectTableMatchesAPI(page, { activeOnly: true, from: zonedInstant(typed, tz) })) > 0)
  })

  test('To alone keeps the events before it, read in the school time zone', async () => {
    await page.goto(`${server.url}/`)
    await settled()
    const to = daysAgo(80, tz, '09:30')
    await typeTime(page, 'To', to)
    await page.waitForURL((u) => new URL(u).searchParams.get('to') === to)
    assert.ok((await expectTableMatchesAPI(page, { activeOnly: true, to: zonedInstant(to, tz) })) > 0)
  })

  test('For Sync Profile alone', async () => {
    await page.goto(`${server.url}/`)
    await settled()
    await page.getByLabel('For Sync Profile').selectOption({ label: 'LDAP Staff' })
    await page.waitForURL(/profile=/)
    const id = await syncProfileID(page, 'LDAP Staff')
    assert.equal(new URL(page.url()).searchParams.get('profile'), id)
    assert.ok((await expectTableMatchesAPI(page, { activeOnly: true, syncProfileID: id })) > 0)
  })

  test('all filters combined: From, To, For Sync Profile, For Event and Filter Events for Activity', async () => {
    await page.goto(`${server.url}/`)
    await settled()
    const from = daysAgo(30, tz, '08:00')
    const to = daysAgo(5, tz, '17:30')
    await typeTime(page, 'From', from)
    await typeTime(page, 'To', to)
    await page.getByLabel('For Sync Profile').selectOption({ label: 'LDAP Staff' })
    await page.getByRole('button', { name: /For Event/ }).click()
    await page.getByRole('checkbox', { name: 'Account Synchronization', exact: true }).check()
    await page.getByRole('checkbox', { name: 'Sync Error', exact: true }).check()
    await page.keyboard.press('Escape')
    await page.getByLabel('Filter Events for Activity').uncheck()
    await page.waitForURL((u) => {
      const q = new URL(u).searchParams
      return q.get('from') === from && q.get('to') === to && q.has('profile') && q.getAll('type').length === 2 && q.get('all') === '1'
    })
    const filter = {
      from: zonedInstant(from, tz),
      to: zonedInstant(to, tz),
      syncProfileID: await syncProfileID(page, 'LDAP Staff'),
      types: ['ACCOUNT_SYNCHRONIZATION', 'SYNC_ERROR'],
    }
    const all = await expectTableMatchesAPI(page, { ...filter, activeOnly: false })
    await page.getByLabel('Filter Events for Activity').check()
    await page.waitForURL((u) => !new URL(u).searchParams.has('all'))
    const active = await expectTableMatchesAPI(page, { ...filter, activeOnly: true })
    assert.ok(active > 0 && active < all, `${active} active of ${all}`)
  })

  test('For User combined with For Event and From', async () => {
    await page.goto(`${server.url}/?all=1`)
    await settled()
    const box = page.getByRole('combobox', { name: 'For User' })
    await box.fill('archie.smith')
    await page.getByRole('option', { name: /archie\.smith\b/ }).first().click()
    await page.waitForURL(/user=/)
    const id = await userID(page, 'archie.smith')
    // The user's newest event decides the type and From, so that the answer is not empty.
    const newest = (await apiEvents(page, { activeOnly: false, userID: id }, { pageSize: 1 })).events[0]
    assert.ok(newest, 'archie.smith has events')
    const from = localInput(new Date(Date.parse(newest.finishedAt) - 60_000), tz)
    await page.getByRole('button', { name: /For Event/ }).click()
    await page.getByRole('checkbox', { name: newest.typeName, exact: true }).check()
    await page.keyboard.press('Escape')
    await typeTime(page, 'From', from)
    await page.waitForURL((u) => new URL(u).searchParams.get('from') === from && new URL(u).searchParams.has('type'))
    const n = await expectTableMatchesAPI(page, { activeOnly: false, userID: id, types: [newest.type], from: zonedInstant(from, tz) })
    assert.ok(n > 0)
  })

  test('live: an event recorded through the API appears at the top', async () => {
    await page.goto(`${server.url}/?all=1`)
    await settled()
    await page.locator('.live-state', { hasText: /^Live/ }).waitFor({ timeout: 15_000 })
    const now = new Date().toISOString()
    const res = await gql(
      server.url,
      `mutation($in: [RecordEventInput!]!) { recordEvents(input: $in) { events { id } } }`,
      { in: [{ type: 'SYNC_ERROR', startedAt: now, finishedAt: now, syncProfile: 'E2E Live Profile', errors: 1, details: 'e2e live' }] },
      server.token,
    )
    assert.equal(res.errors, undefined, JSON.stringify(res.errors))
    const row = page.locator('table.events tbody tr.new', { hasText: 'E2E Live Profile' })
    await row.waitFor({ timeout: 15_000 })
    assert.equal(await rows().first().innerText().then((x) => x.includes('E2E Live Profile')), true)
  })

  test('Download asks for an export and says an email is on its way', async () => {
    await page.goto(`${server.url}/?type=USER_CSV_FAILED`)
    await settled()
    await page.getByRole('button', { name: 'Download', exact: true }).click()
    // Emailing the link is the dialog's default: its first button, focused.
    await page.getByRole('dialog', { name: 'Download the report' }).getByRole('button', { name: 'Email me the link' }).click()
    const msg = page.locator('.download-message')
    await msg.getByText(/email with the download link is on its way/).waitFor()
    await msg.getByRole('link').click()
    await page.waitForURL(/\/exports\//)
    await page.getByRole('link', { name: /Download the report/ }).waitFor({ timeout: 30_000 })
    await page.getByText('User CSV Failed').waitFor()
  })

  test('API tokens: create shows the secret once, then revoke', async () => {
    await page.goto(`${server.url}/tokens`)
    await page.getByLabel('Name').fill('E2E agent')
    await page.getByRole('checkbox', { name: /reports:read/ }).check()
    await page.getByRole('button', { name: 'Create token' }).click()
    const secret = await page.getByLabel('Token secret').innerText()
    assert.match(secret, /\S{20,}/)
    const row = page.locator('tr', { hasText: 'E2E agent' })
    await row.getByRole('button', { name: 'Revoke' }).click()
    await row.getByRole('button', { name: /Revoke “E2E agent”/ }).click()
    await row.getByText('Revoked').waitFor()
  })

  test('portrait tablets (820 and 768 px) show every column of the table without scrolling sideways', async () => {
    for (const width of [820, 768]) {
      const tablet = await browser.newContext({ viewport: { width, height: 1180 }, storageState: await context.storageState() })
      try {
        const tp = await tablet.newPage()
        // Sync runs (long event names) and sign-ins (usernames) are the widest pages.
        for (const q of ['', '?type=AUTHENTICATION_FAILED&type=AUTHENTICATION']) {
          await tp.goto(`${server.url}/${q}`)
          await tp.locator('table.events tbody tr').first().waitFor()
          const m = await tp.evaluate(() => {
            const s = document.querySelector('.table-scroll')
            return { client: s.clientWidth, scroll: s.scrollWidth, page: document.documentElement.scrollWidth }
          })
          assert.ok(m.scroll <= m.client, `the table scrolls sideways at ${width} px (${q || 'default'}): ${m.scroll} > ${m.client}`)
          assert.ok(m.page <= width, `the page scrolls sideways at ${width} px: ${m.page}`)
          assert.equal(await tp.locator('table.events thead th').count(), 10)
        }
      } finally {
        await tablet.close()
      }
    }
  })

  test('the pages load without CSP violations or script errors', () => {
    assert.deepEqual(problems.csp, [])
    assert.deepEqual(problems.page, [])
  })

  test('Sign out ends the session', async () => {
    await page.goto(`${server.url}/`)
    await settled()
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL(/\/signin/)
    await page.goto(`${server.url}/exports`)
    await page.waitForURL(/\/signin\?next=%2Fexports/)
  })
})
