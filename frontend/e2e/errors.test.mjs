// Error and empty states against the real server. The empty states say what to change; then the
// server's database really loses the tables behind each page (renamed from outside by sqlite3,
// as a broken migration or a restore gone wrong would), and every page shows an error with the
// request ID the server logged, so an admin can quote it.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { launch, shot, watchPage } from './helpers.mjs'
import { pageGql } from './report.mjs'
import { PASSWORD, startServer, stopServer } from './server.mjs'

/** requestIDShown waits for an error alert on the page and returns the request ID it quotes. */
async function requestIDShown(page) {
  const alert = page.getByRole('alert').filter({ hasText: 'request ID' }).first()
  await alert.waitFor()
  const id = (await alert.innerText()).match(/request ID ([0-9A-Za-z_-]+)/)?.[1]
  assert.ok(id, `the alert quotes a request ID: ${await alert.innerText()}`)
  return id
}

describe('error and empty states', () => {
  let server
  let browser
  let page
  let problems

  before(async () => {
    server = await startServer()
    browser = await launch()
    page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage()
    problems = watchPage(page)
    // Not signInDemoAdmin, which waits for the report's rows: the report's first page would
    // then be in the server's report cache, whose key (the school's data version) does not
    // move when the tables are renamed below, and the report would be answered from it.
    await page.goto(`${server.url}/signin`)
    await page.getByLabel('School').fill('demo')
    await page.getByLabel('Username').fill('admin')
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL((u) => u.pathname === '/')
  })

  after(async () => {
    await browser?.close()
    await stopServer(server)
  })

  test('empty states say what to change', async () => {
    await page.goto(`${server.url}/?q=${encodeURIComponent('no event says this zq7x')}`)
    const empty = page.locator('.empty')
    await empty.getByText('No events match these filters').waitFor()
    assert.match(await empty.innerText(), /change|clear|widen|remove|try/i)
    await page.goto(`${server.url}/exports`)
    await page.locator('.empty').getByText('No exports yet').waitFor()
    assert.match(await page.locator('.empty').innerText(), /Use Download on the report/)
  })

  test('when the database fails, every page shows the request ID the server logged', async () => {
    const { requestExport } = await pageGql(page, `mutation { requestExport(filter: { activeOnly: true }) { id } }`)
    await page.goto(`${server.url}/exports/${encodeURIComponent(requestExport.id)}`)
    await page.getByRole('heading', { name: /^Status:/ }).waitFor()

    // The server may be writing (the export job): sqlite3 waits for its lock like the server does.
    execFileSync('sqlite3', [
      '-cmd',
      '.timeout 15000',
      join(server.dir, 'e2e.db'),
      'ALTER TABLE events RENAME TO events_lost; ALTER TABLE exports RENAME TO exports_lost; ALTER TABLE api_tokens RENAME TO api_tokens_lost;',
    ])

    const pages = [
      { path: '/', name: 'report' },
      { path: '/exports', name: 'exports' },
      { path: `/exports/${encodeURIComponent(requestExport.id)}`, name: 'export' },
      { path: '/tokens', name: 'tokens' },
    ]
    for (const p of pages) {
      await page.goto(`${server.url}${p.path}`)
      const id = await requestIDShown(page)
      assert.match(server.output(), new RegExp(`"request_id":"${id}"|request_id=${id}`), `the server logged request ${id} (${p.name})`)
      await shot(page, `error-${p.name}`)
    }
    assert.deepEqual(problems.page, [], 'no uncaught errors')
  })
})
