// Helpers of the browser tests that compare what the dashboard shows with what the GraphQL API
// answers for the same filter: the API is asked through the page's own session (same-origin
// fetch, so the session cookie goes along), exactly as the signed-in admin would see it.
import assert from 'node:assert/strict'

/** EVENT_FIELDS are the fields of an event that the table and the CSV show. */
const EVENT_FIELDS = `id type typeName startedAt finishedAt processed added updated deleted disabled errors details
  user { id username } syncProfile { id name }`

/** pageGql runs a GraphQL request from inside the page (with its session) and returns data, failing on errors. */
export async function pageGql(page, query, variables = {}) {
  const body = await page.evaluate(
    async ({ query, variables }) => {
      const res = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify({ query, variables }),
      })
      return res.json()
    },
    { query, variables },
  )
  assert.equal(body.errors, undefined, `GraphQL errors: ${JSON.stringify(body.errors)}`)
  return body.data
}

/**
 * apiEvents returns { totalCount, events } for the filter, newest first as the report sorts.
 * With all, it follows the cursor through every page (pageSize at a time); otherwise it returns
 * the first page only.
 */
export async function apiEvents(page, filter, { pageSize = 50, all = false } = {}) {
  const query = `query($filter: ReportFilter, $first: Int, $after: Cursor) {
    events(filter: $filter, first: $first, after: $after, orderBy: { field: DATE_FINISHED, direction: DESC }) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { ${EVENT_FIELDS} } }
    }
  }`
  const events = []
  let after = null
  let totalCount
  for (;;) {
    const data = await pageGql(page, query, { filter, first: pageSize, after })
    totalCount = data.events.totalCount
    events.push(...data.events.edges.map((e) => e.node))
    if (!all || !data.events.pageInfo.hasNextPage) break
    after = data.events.pageInfo.endCursor
  }
  return { totalCount, events }
}

/** schoolInfo returns the signed-in school's { name, timezone }. */
export async function schoolInfo(page) {
  return (await pageGql(page, `{ school { name timezone } }`)).school
}

/** syncProfileID returns the ID of the school's sync profile with that name. */
export async function syncProfileID(page, name) {
  const { syncProfiles } = await pageGql(page, `{ syncProfiles { id name } }`)
  const p = syncProfiles.find((x) => x.name === name)
  assert.ok(p, `no sync profile named ${name}`)
  return p.id
}

/** userID returns the ID of the user with that username. */
export async function userID(page, username) {
  const { users } = await pageGql(page, `query($s: String) { users(search: $s, first: 20) { edges { node { id username } } } }`, {
    s: username,
  })
  const u = users.edges.map((e) => e.node).find((x) => x.username === username)
  assert.ok(u, `no user named ${username}`)
  return u.id
}

/** offsetMs is how far the wall clock in timeZone is ahead of UTC at instant t. */
function offsetMs(t, timeZone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(new Date(t))
      .map((p) => [p.type, p.value]),
  )
  const wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second)
  return wall - Math.floor(t / 1000) * 1000
}

/** zonedInstant reads a wall-clock time ("2026-10-05T08:30") in timeZone as an ISO instant. */
export function zonedInstant(local, timeZone) {
  const asUTC = Date.parse(`${local.length === 16 ? `${local}:00` : local}Z`)
  let t = asUTC - offsetMs(asUTC, timeZone)
  const again = asUTC - offsetMs(t, timeZone)
  if (again !== t) t = again
  return new Date(t).toISOString()
}

/** localInput formats an instant as a datetime-local value ("2026-10-05T08:30") in timeZone. */
export function localInput(date, timeZone) {
  const t = date.getTime()
  const wall = new Date(t + offsetMs(t, timeZone))
  return wall.toISOString().slice(0, 16)
}

/**
 * clearOfMidnight waits, when the school's clock is within margin of midnight, until the
 * new day has begun. A test that reads "today" and then has the page work out its own today
 * (quick ranges, a reload's range name) would otherwise see two different days.
 */
export async function clearOfMidnight(timeZone, marginMs = 60_000) {
  const t = Date.now()
  const day = 86_400_000
  const left = day - ((t + offsetMs(t, timeZone)) % day)
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 1_000))
}

/** zonedRFC3339 writes an instant as RFC 3339 in timeZone, to the second: "2026-10-05T08:30:00+11:00". */
export function zonedRFC3339(iso, timeZone) {
  const t = Date.parse(iso)
  const off = offsetMs(t, timeZone)
  const wall = new Date(t + off).toISOString().slice(0, 19)
  if (off === 0) return `${wall}Z`
  const m = Math.abs(off) / 60_000
  return `${wall}${off < 0 ? '-' : '+'}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`
}

/** daysAgo returns the wall-clock time in timeZone n days ago at hh:mm ("2026-10-05T08:30"). */
export function daysAgo(n, timeZone, hhmm = '12:00') {
  return `${localInput(new Date(Date.now() - n * 86_400_000), timeZone).slice(0, 10)}T${hhmm}`
}

/** tableRows reads the report table: one object per row with the fields it shows. */
export async function tableRows(page) {
  return page.$$eval('table.events tbody tr', (trs) =>
    trs.map((tr) => {
      const td = tr.querySelectorAll(':scope > td')
      const text = (el) => (el?.textContent ?? '').trim()
      const num = (el) => Number(text(el).replace(/,/g, ''))
      const user = td[3].querySelector(':scope > :is(a, span):first-child')
      return {
        finishedAt: td[0].querySelector('time')?.getAttribute('datetime'),
        typeName: text(td[1].querySelector('.event-badge > span:not(.visually-hidden)')),
        syncProfile: text(td[2]) === '—' ? null : text(td[2]),
        user: !user || user.classList.contains('muted') ? null : text(user),
        processed: num(td[4]),
        added: num(td[5]),
        updated: num(td[6]),
        deleted: num(td[7]),
        disabled: num(td[8]),
        errors: num(td[9]),
      }
    }),
  )
}

/** asRow is an API event as tableRows reads it from the table. */
export function asRow(e) {
  return {
    finishedAt: e.finishedAt,
    typeName: e.typeName,
    syncProfile: e.syncProfile?.name ?? null,
    user: e.user?.username ?? null,
    processed: e.processed,
    added: e.added,
    updated: e.updated,
    deleted: e.deleted,
    disabled: e.disabled,
    errors: e.errors,
  }
}

/** shownCount is the total the pager shows ("1,234 events"), or NaN while loading. */
export async function shownCount(page) {
  const text = await page.locator('.pager.top .pager-count').innerText()
  const m = text.replace(/,/g, '').match(/(\d+) events?/)
  return m ? Number(m[1]) : NaN
}

/**
 * expectTableMatchesAPI waits (up to timeoutMs) until the report's total and first page equal
 * the API's answer for filter, and fails with the difference when they never do. It returns the
 * API's total. The page must show the default page size (50), newest first.
 */
export async function expectTableMatchesAPI(page, filter, { timeoutMs = 15_000, pageSize = 50 } = {}) {
  const want = await apiEvents(page, filter, { pageSize })
  const wantRows = want.events.map(asRow)
  const deadline = Date.now() + timeoutMs
  let got
  for (;;) {
    const busy = await page.locator('table.events[aria-busy="true"]').count()
    got = { total: await shownCount(page).catch(() => NaN), rows: await tableRows(page).catch(() => []) }
    if (!busy && got.total === want.totalCount && JSON.stringify(got.rows) === JSON.stringify(wantRows)) break
    if (Date.now() > deadline) break
    await page.waitForTimeout(200)
  }
  assert.equal(got.total, want.totalCount, `total shown for ${JSON.stringify(filter)}`)
  assert.deepEqual(got.rows, wantRows, `first page for ${JSON.stringify(filter)}`)
  return want.totalCount
}

/** typeTime types a local date and time into the From or To field and confirms it with Enter. */
export async function typeTime(page, label, value) {
  const field = page.getByLabel(label, { exact: true })
  await field.fill(value)
  await field.press('Enter')
}
