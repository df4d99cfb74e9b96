// The run page, a person's page and People on a phone and on portrait tablets, and the header on
// a desktop, against the real server with the demo school: at 390 px the tables become cards
// whose cells say their column, at 768 and 820 px they stay tables, nothing scrolls sideways at
// any of the three sizes, a change still expands to its attributes and links still lead on; at
// 768, 820 and 1440 px the header's links sit on one line (on the tablets in the header's own
// first row), Tab walks them in order, and nothing moves when the health summary arrives; at
// 390 px the header is one short row whose Menu button opens the links and Sign out, by mouse
// and by keyboard.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { launch, shot, watchPage } from './helpers.mjs'
import { gql, signInDemoAdmin, startServer, stopServer } from './server.mjs'

/** VIEWPORTS are the phone and the two portrait tablets every page is opened at. */
const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'tablet', width: 768, height: 1024 },
  { name: 'large tablet', width: 820, height: 1180 },
]

/** PREFIX keeps this test's accounts apart from the demo school's and from other tests'. */
const PREFIX = 'ph'
const student = (i) => `${PREFIX}.student${String(i).padStart(2, '0')}`

const RECORD = `mutation($in: [RecordEventInput!]!) { recordEvents(input: $in) { events { id } } }`

/** changesOfRun are the run's changed accounts, with long values that must wrap inside a card. */
function changesOfRun() {
  const changes = []
  for (let i = 1; i <= 12; i++) {
    changes.push({
      action: 'ADDED',
      username: student(i),
      displayName: `Student Number ${i} With A Rather Long Display Name`,
      email: `${student(i)}.with.a.long.address@students.school.example.edu`,
      attributes: [
        { name: 'givenName', old: null, new: `Student${i}` },
        { name: 'distinguishedName', old: null, new: `CN=${student(i)},OU=Year 7,OU=Students,OU=Accounts,DC=school,DC=example,DC=edu` },
        { name: 'memberOf', old: null, new: 'CN=Year 7,OU=Groups,DC=school,DC=example,DC=edu' },
      ],
    })
  }
  changes.push({
    action: 'DISABLED',
    username: `${PREFIX}.leaver01`,
    attributes: [{ name: 'userAccountControl', old: '512', new: '514' }],
    message: 'Left the school at the end of term; the account is kept for thirty days before it is deleted.',
  })
  return changes
}

/** signIn signs the demo admin in on a new page of the browser at the given size. */
async function signIn(browser, url, { width, height }) {
  const context = await browser.newContext({ viewport: { width, height }, locale: 'en-AU' })
  const page = await context.newPage()
  const problems = watchPage(page)
  await signInDemoAdmin(page, url)
  return { context, page, problems }
}

/** overflow measures the document and every sideways-scrolling table wrapper. */
function overflow(page) {
  return page.evaluate(() => ({
    document: { scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth },
    tables: [...document.querySelectorAll('.table-scroll')].map((s) => {
      // What reaches past the wrapper's right edge, deepest first, so that a failure names it.
      const edge = s.getBoundingClientRect().left + s.clientWidth
      const past = [...s.querySelectorAll('*')]
        .filter((e) => e.getBoundingClientRect().right > edge + 0.01)
        .reverse()
        .slice(0, 4)
        .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} right=${e.getBoundingClientRect().right.toFixed(2)} "${e.textContent.replace(/\s+/g, ' ').slice(0, 80)}"`)
      return { scroll: s.scrollWidth, client: s.clientWidth, past }
    }),
  }))
}

async function assertFits(page, what) {
  const m = await overflow(page)
  assert.ok(m.document.scroll <= m.document.client, `${what}: the page scrolls sideways (${m.document.scroll} > ${m.document.client})`)
  for (const t of m.tables) assert.ok(t.scroll <= t.client, `${what}: a table scrolls sideways (${t.scroll} > ${t.client}): ${t.past.join('; ')}`)
}

/**
 * cells reads the cells of one row: each one's label as the card shows it (its ::before), its
 * text, whether it lies within the screen's width, and how its row is laid out.
 */
function cells(row) {
  return row.evaluate((tr) => ({
    display: getComputedStyle(tr).display,
    cells: [...tr.children].map((c) => {
      const b = c.getBoundingClientRect()
      const label = getComputedStyle(c, '::before').content
      return {
        column: c.dataset.label ?? '',
        shown: label && label !== 'none' && label !== 'normal' ? JSON.parse(label) : '',
        text: c.innerText.replace(/\s+/g, ' ').trim(),
        inView: b.width === 0 || (b.left >= 0 && b.right <= document.documentElement.clientWidth),
      }
    }),
  }))
}

/**
 * assertCard checks that a row is a card whose labelled cells say their column and fit the screen.
 * A list that is being replaced (a new filter's rows arriving) can detach the row the locator
 * found while it is read, which reads as no display at all; the locator is then read again,
 * for a second at most. Any other display fails at once.
 */
async function assertCard(row, expected) {
  let { display, cells: got } = await cells(row)
  for (let i = 0; display === '' && i < 20; i++) {
    await new Promise((r) => setTimeout(r, 50))
    ;({ display, cells: got } = await cells(row))
  }
  assert.equal(display, 'grid', 'the row is a card')
  for (const c of got) {
    assert.ok(c.inView, `${c.column || 'a cell'} lies within the screen`)
    if (c.column) assert.equal(c.shown, c.column, `the ${c.column} cell shows its label`)
  }
  for (const [column, text] of Object.entries(expected)) {
    const c = got.find((x) => x.column === column)
    assert.ok(c, `a ${column} cell`)
    assert.match(c.text, text, `the ${column} cell`)
  }
}

describe('the run, person and People pages on a phone and on tablets; the header on tablets and a desktop', () => {
  let server
  let browser
  let runID = ''
  let personID = ''

  before(async () => {
    server = await startServer()
    browser = await launch()
    const now = Date.now()
    const res = await gql(
      server.url,
      RECORD,
      {
        in: [
          {
            type: 'ACCOUNT_SYNCHRONIZATION',
            startedAt: new Date(now - 3 * 60_000).toISOString(),
            finishedAt: new Date(now - 2 * 60_000).toISOString(),
            syncProfile: 'LDAP Students',
            processed: 900,
            added: 12,
            disabled: 1,
            changes: changesOfRun(),
          },
        ],
      },
      server.token,
    )
    assert.equal(res.errors, undefined, JSON.stringify(res.errors))
    runID = res.data.recordEvents.events[0].id
    const at = new Date(now - 60_000).toISOString()
    const logins = await gql(
      server.url,
      RECORD,
      { in: [{ type: 'AUTHENTICATION', startedAt: at, finishedAt: at, username: student(1) }] },
      server.token,
    )
    assert.equal(logins.errors, undefined, JSON.stringify(logins.errors))
    const users = await gql(server.url, 'query($s: String!) { users(search: $s, first: 5) { edges { node { id username } } } }', { s: student(1) }, server.token)
    personID = users.data.users.edges.map((e) => e.node).find((n) => n.username === student(1)).id
  })

  after(async () => {
    await browser?.close()
    await stopServer(server)
  })

  for (const vp of VIEWPORTS) {
    const phone = vp.width < 560
    describe(`${vp.name} (${vp.width}×${vp.height})`, () => {
      let context
      let page
      let problems

      before(async () => {
        ;({ context, page, problems } = await signIn(browser, server.url, vp))
      })

      after(async () => {
        await context?.close()
      })

      test('the run page: the changed accounts fit, and a change expands to its attributes', async () => {
        await page.goto(`${server.url}/events/${encodeURIComponent(runID)}`)
        const rows = page.locator('table.changes tbody tr.change-row')
        await rows.nth(12).waitFor()
        await assertFits(page, 'the run page')
        const first = rows.filter({ hasText: student(1) })
        if (phone) {
          await assertCard(first, { Action: /^Added$/, Account: new RegExp(`^${student(1).replace('.', '\\.')}\\b`), Email: /@students\.school/, 'What changed': /3 attributes/ })
        } else {
          assert.equal((await cells(first)).display, 'table-row', 'a table row at a tablet size')
        }

        // Expanding a change shows its attributes, old → new, and the page still fits.
        await first.getByRole('button', { name: `Show the changes to ${student(1)}` }).click()
        const detail = page.locator('table.changes tr.change-detail')
        await detail.waitFor()
        const text = (await detail.innerText()).replace(/\s+/g, ' ')
        assert.match(text, /givenName \(none\) → Student1\b/)
        assert.match(text, /distinguishedName \(none\) → CN=ph\.student01,OU=Year 7/)
        await assertFits(page, 'the run page with a change expanded')
        if (phone) {
          const box = await detail.boundingBox()
          assert.ok(box.x >= 0 && box.x + box.width <= vp.width, `the attributes lie within the screen: ${JSON.stringify(box)}`)
          await page.locator('.run-changes .pager.top').evaluate((e) => e.scrollIntoView({ block: 'start' }))
          await shot(page, 'run-page-phone')
        }
        // And collapses again.
        await first.getByRole('button', { name: `Hide the changes to ${student(1)}` }).click()
        await detail.waitFor({ state: 'detached' })

        // A change with a message: the message is part of its expansion.
        const leaver = rows.filter({ hasText: `${PREFIX}.leaver01` })
        await leaver.getByRole('button', { name: `Show the changes to ${PREFIX}.leaver01` }).click()
        await page.locator('table.changes tr.change-detail', { hasText: 'Left the school at the end of term' }).waitFor()
        await assertFits(page, 'the run page with a message expanded')

        // The account's link still leads to the person.
        await first.getByRole('link', { name: student(1), exact: true }).click()
        await page.waitForURL((u) => u.pathname === `/users/${personID}`)
        await page.locator('.timeline .timeline-item').first().waitFor()
      })

      test("a person's page: the facts and the timeline fit, and an entry's attribute changes open", async () => {
        await page.goto(`${server.url}/users/${encodeURIComponent(personID)}`)
        const items = page.locator('.timeline .timeline-item')
        await items.nth(1).waitFor()
        await assertFits(page, "the person's page")
        const added = items.filter({ hasText: 'Added by LDAP Students' })
        await added.locator('summary', { hasText: 'What changed' }).click()
        const attrs = (await added.locator('.timeline-attrs').innerText()).replace(/\s+/g, ' ')
        assert.match(attrs, /distinguishedName: \(none\) → (changed to )?CN=ph\.student01/)
        await assertFits(page, "the person's page with an entry open")
        for (const el of [added, page.locator('.person-facts')]) {
          const b = await el.boundingBox()
          assert.ok(b.x >= 0 && b.x + b.width <= vp.width, `within the screen: ${JSON.stringify(b)}`)
        }
        if (phone) {
          await page.locator('#person-title').evaluate((e) => e.scrollIntoView({ block: 'start' }))
          await shot(page, 'person-phone')
        }
        // The entry's link leads to the run.
        await added.getByRole('link', { name: 'Added by LDAP Students' }).click()
        await page.waitForURL((u) => u.pathname === `/events/${runID}`)
        await page.locator('table.changes tbody tr.change-row').first().waitFor()
      })

      test('People: adoption per profile and the never-signed-in list fit', async () => {
        await page.goto(`${server.url}/people`)
        const ldap = page.locator('table.adoption tbody tr', { hasText: 'LDAP Students' })
        await ldap.locator('td.num').first().filter({ hasText: /\d/ }).waitFor()
        const never = page.locator('table.never-list tbody tr')
        await never.first().waitFor()
        await assertFits(page, 'People')
        if (phone) {
          await assertCard(ldap, { 'Sync Profile': /^LDAP Students$/, Provisioned: /^\d[\d,]*$/, 'Signed in': /^\d[\d,]*$/, 'Never signed in': /^\d[\d,]*$/, Adoption: /%$/ })
        } else {
          assert.equal((await cells(ldap)).display, 'table-row', 'a table row at a tablet size')
        }

        if (phone) {
          await page.locator('.people-page .page-head').first().evaluate((e) => e.scrollIntoView({ block: 'start' }))
          await shot(page, 'people-phone')
        }

        // A profile's button still chooses its list; a username still leads to the person. The
        // list is read once the profile's own list has arrived, not the one it replaces.
        const listed = page.waitForResponse((r) => {
          const body = r.request().postData() ?? ''
          return body.includes('NeverSignedIn') && /"syncProfileID":"[^"]+"/.test(body)
        })
        await ldap.getByRole('button', { name: 'LDAP Students' }).click()
        await listed
        await page.waitForURL((u) => u.searchParams.has('profile'))
        await page.locator('.never-card .page-sub', { hasText: 'LDAP Students' }).waitFor()
        const row = never.first()
        await row.waitFor()
        const username = (await row.locator('td').first().innerText()).trim()
        if (phone) {
          await assertCard(row, { Username: /^\S+$/, Name: /\S/, Email: /^—$|@/, Provisioned: /\d{4}/ })
        }
        await assertFits(page, "People with a profile's list")
        await row.getByRole('link', { name: username, exact: true }).click()
        await page.waitForURL((u) => /^\/users\/[^/]+$/.test(u.pathname))
        await page.locator('.timeline .timeline-item').first().waitFor()
      })

      test('not one console or page error', async () => {
        await page.waitForTimeout(300)
        assert.deepEqual(problems, { console: [], page: [], csp: [] })
      })
    })
  }

  test("at 390 px the header is one row and its Menu holds the links and Sign out", async () => {
    const vp = VIEWPORTS[0]
    const { context, page, problems } = await signIn(browser, server.url, vp)
    try {
      // Hold the health query until the header has been measured without the summary.
      let release
      const held = new Promise((r) => (release = r))
      await page.route('**/graphql', async (route) => {
        if ((route.request().postData() ?? '').includes('query SyncHealth')) await held
        await route.continue()
      })
      await page.goto(`${server.url}/people`)
      const button = page.getByRole('button', { name: 'Menu' })
      await button.waitFor()
      await page.waitForFunction(() => document.fonts.status === 'loaded')
      await page.waitForTimeout(200)
      const header = page.locator('.app-header')
      const before = { header: await header.boundingBox(), button: await button.boundingBox(), brand: await page.locator('.brand-link').boundingBox() }
      assert.equal(await page.locator('.app-header .health-summary').count(), 0, 'measured before the summary arrived')
      release()
      await page.locator('.app-header .health-summary').waitFor()
      await page.waitForTimeout(200)
      assert.deepEqual({ header: await header.boundingBox(), button: await button.boundingBox(), brand: await page.locator('.brand-link').boundingBox() }, before, 'nothing moved when the summary arrived')
      await page.unrouteAll({ behavior: 'wait' })

      // Closed: one short row with the brand, the summary and the button, all on the screen.
      assert.ok(before.header.height <= 70, `the header is one short row (${before.header.height} px high)`)
      const summary = await page.locator('.app-header .health-summary').boundingBox()
      for (const [what, b] of Object.entries({ brand: before.brand, summary, button: before.button })) {
        assert.ok(b.x >= 0 && b.x + b.width <= vp.width && b.y >= before.header.y && b.y + b.height <= before.header.y + before.header.height, `the ${what} lies in the header's row: ${JSON.stringify(b)}`)
      }
      assert.match(await page.locator('.app-header .health-summary').innerText(), /need attention|healthy/)
      assert.equal(await button.getAttribute('aria-expanded'), 'false')
      const menuID = await button.getAttribute('aria-controls')
      const menu = page.locator(`[id="${menuID}"]`)
      assert.equal(await menu.isVisible(), false, 'the menu starts closed')
      const nav = page.getByRole('navigation', { name: 'Main' })
      assert.equal(await nav.isVisible(), false, 'the links are in the closed menu')
      await assertFits(page, 'the header with its menu closed')
      await page.mouse.move(0, vp.height - 1)
      await shot(page, 'header-phone', { clip: { x: 0, y: 0, width: vp.width, height: 240 } })

      // A click opens it: every link, the current page marked, and Sign out.
      await button.click()
      assert.equal(await button.getAttribute('aria-expanded'), 'true')
      await nav.waitFor()
      assert.deepEqual(
        (await nav.getByRole('link').allTextContents()).map((t) => t.trim()),
        ['Report', 'Sync health', 'People', 'Exports', 'API tokens', 'Sign-in settings', 'Playground'],
        'every link of an administrator',
      )
      assert.deepEqual(await nav.locator('[aria-current="page"]').allTextContents(), ['People'], 'the current page is marked')
      const signOut = menu.getByRole('button', { name: 'Sign out' })
      assert.ok(await signOut.isVisible(), 'Sign out is in the menu')
      for (const b of await menu.locator('a, button').evaluateAll((els) => els.map((e) => JSON.parse(JSON.stringify(e.getBoundingClientRect()))))) {
        assert.ok(b.left >= 0 && b.right <= vp.width && b.height >= 32, `a menu item lies on the screen and is easy to tap: ${JSON.stringify(b)}`)
      }
      await assertFits(page, 'the header with its menu open')
      await shot(page, 'header-phone-menu', { clip: { x: 0, y: 0, width: vp.width, height: 560 } })

      // A click outside closes it.
      await page.mouse.click(vp.width / 2, vp.height - 40)
      await menu.waitFor({ state: 'hidden' })
      assert.equal(await button.getAttribute('aria-expanded'), 'false')

      // Enter and Space open it; Escape closes it and puts focus back on the button.
      for (const key of ['Enter', 'Space']) {
        await button.focus()
        await page.keyboard.press(key)
        await nav.waitFor()
        assert.equal(await button.getAttribute('aria-expanded'), 'true', `${key} opens the menu`)
        // Tab leads from the button into the menu.
        await page.keyboard.press('Tab')
        assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), 'Report', 'Tab goes into the menu')
        await page.keyboard.press('Escape')
        await menu.waitFor({ state: 'hidden' })
        assert.equal(await button.getAttribute('aria-expanded'), 'false', 'Escape closes the menu')
        assert.ok(await button.evaluate((b) => b === document.activeElement), 'focus is back on the button')
      }

      // Following a link navigates and closes the menu.
      await button.click()
      await nav.getByRole('link', { name: 'Exports' }).click()
      await page.waitForURL((u) => u.pathname === '/exports')
      await page.getByRole('heading', { name: 'Exports', exact: true }).waitFor()
      await menu.waitFor({ state: 'hidden' })
      assert.equal(await button.getAttribute('aria-expanded'), 'false', 'the menu closed')
      await button.click()
      assert.deepEqual(await nav.locator('[aria-current="page"]').allTextContents(), ['Exports'], 'the new page is marked')
      await page.keyboard.press('Escape')
      await assertFits(page, 'Exports')

      await page.waitForTimeout(300)
      assert.deepEqual(problems, { console: [], page: [], csp: [] })
    } finally {
      await context.close()
    }
  })

  // The header at each width where its links sit on one line: the portrait tablets take two rows
  // (brand and links, then the health summary and the signed-in person), the desktop one.
  for (const vp of [...VIEWPORTS.slice(1), { name: 'desktop', width: 1440, height: 900 }]) {
    const tablet = vp.width < 1280
    test(`at ${vp.width} px (${vp.name}) the header's links sit on one line and stay put when the health summary arrives`, async () => {
      const { context, page, problems } = await signIn(browser, server.url, vp)
      try {
        // Hold the health query until the header has been measured without it.
        let release
        const held = new Promise((r) => (release = r))
        let seen = false
        await page.route('**/graphql', async (route) => {
          if ((route.request().postData() ?? '').includes('query SyncHealth')) {
            seen = true
            await held
          }
          await route.continue()
        })
        await page.goto(`${server.url}/people`)
        const nav = page.getByRole('navigation', { name: 'Main' })
        const links = nav.getByRole('link')
        await links.last().waitFor()
        await page.waitForFunction(() => document.fonts.status === 'loaded')
        await page.waitForTimeout(200)
        const boxes = () => links.evaluateAll((as) => as.map((a) => ({ name: a.textContent, ...JSON.parse(JSON.stringify(a.getBoundingClientRect())) })))
        const before = await boxes()
        assert.ok(seen, 'the health query was held')
        assert.equal(await page.locator('.app-header .health-summary').count(), 0, 'measured before the summary arrived')
        assert.equal(before.length, 7, "an administrator's seven links")
        assert.equal(new Set(before.map((b) => Math.round(b.top))).size, 1, `the links sit on one line: ${JSON.stringify(before.map((b) => [b.name, b.top]))}`)
        for (const b of before) assert.ok(b.left >= 0 && b.right <= vp.width, `${b.name} lies within the screen: ${b.left}–${b.right}`)
        assert.deepEqual(await nav.locator('[aria-current="page"]').allTextContents(), ['People'], 'the current page is marked')
        await assertFits(page, 'the header')
        const right = await page.locator('.who').boundingBox()
        const header = await page.locator('.app-header').boundingBox()
        if (tablet) {
          assert.ok(header.height <= 100, `the header takes two short rows (${header.height} px high)`)
          assert.ok(right.y >= before[0].bottom, 'the signed-in person sits below the links')
        }

        release()
        await page.locator('.app-header .health-summary').waitFor()
        await page.waitForTimeout(200)
        const afterArrival = await boxes()
        assert.deepEqual(afterArrival, before, 'the links did not move')
        assert.deepEqual(await page.locator('.who').boundingBox(), right, 'the signed-in person did not move')
        assert.deepEqual(await page.locator('.app-header').boundingBox(), header, 'the header kept its height')
        await page.unrouteAll({ behavior: 'wait' })

        // Keyboard: from the brand, Tab walks the links in the order they are shown, then the
        // health summary and Sign out.
        await page.getByRole('link', { name: 'Provisioning Report, home' }).focus()
        const order = []
        for (let i = 0; i < before.length + 2; i++) {
          await page.keyboard.press('Tab')
          order.push(await page.evaluate(() => document.activeElement.textContent.trim()))
        }
        assert.deepEqual(order.slice(0, before.length), before.map((b) => b.name), 'Tab reaches every link in order')
        assert.match(order[before.length], /need attention|healthy/, 'then the health summary')
        assert.equal(order[before.length + 1], 'Sign out', 'then Sign out')

        if (tablet) {
          // The report page's header as a tablet shows it, reached through the navigation.
          await links.filter({ hasText: 'Report' }).click()
          await page.waitForURL((u) => u.pathname === '/')
          await page.locator('table.events tbody tr').first().waitFor()
          await page.locator('table.events[aria-busy="true"]').waitFor({ state: 'detached' })
          assert.deepEqual(await nav.locator('[aria-current="page"]').allTextContents(), ['Report'], 'the report is marked current')
          await assertFits(page, 'the report page')
          await page.mouse.move(0, vp.height - 1)
          await shot(page, `header-tablet-${vp.width}`, { clip: { x: 0, y: 0, width: vp.width, height: 240 } })
        }
        assert.deepEqual(problems, { console: [], page: [], csp: [] })
      } finally {
        await context.close()
      }
    })
  }
})
