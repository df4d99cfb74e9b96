// A viewer (not an admin) who opens /playground gets the dashboard's own "Administrators only"
// page with 403, styled like every other page, not a line of plain text.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { launch, shot, watchPage } from './helpers.mjs'
import { serverBinary, startServer, stopServer } from './server.mjs'

describe('a viewer and the playground', () => {
  let server
  let browser

  before(async () => {
    server = await startServer()
    browser = await launch()
    execFileSync(
      serverBinary(),
      ['user', 'create', '--school', 'demo', '--username', 'vic', '--email', 'vic@demo.test', '--role', 'VIEWER',
        '--database-url', `sqlite:${join(server.dir, 'e2e.db')}`],
      { env: { ...process.env, PROVREPORT_PASSWORD: 'viewer-password-1' }, stdio: 'pipe' },
    )
  })

  after(async () => {
    await browser?.close()
    await stopServer(server)
  })

  test('gets the styled Administrators only page with 403', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage()
    const problems = watchPage(page)
    await page.goto(`${server.url}/signin`)
    await page.getByLabel('School').fill('demo')
    await page.getByLabel('Username').fill('vic')
    await page.getByLabel('Password').fill('viewer-password-1')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL((u) => u.pathname === '/')
    const res = await page.goto(`${server.url}/playground`)
    assert.equal(res.status(), 403)
    assert.match(res.headers()['content-type'], /^text\/html/)
    await page.getByRole('heading', { name: 'Administrators only' }).waitFor()
    // The dashboard's own header and styles, not a bare text page.
    await page.getByRole('link', { name: 'Exports' }).waitFor()
    const bg = await page.evaluate(() => getComputedStyle(document.querySelector('header') ?? document.body).backgroundColor)
    assert.notEqual(bg, 'rgba(0, 0, 0, 0)', 'the stylesheet applies')
    await shot(page, 'playground-viewer')
    // Chromium reports the document's own 403 as a failed resource; nothing else may appear.
    assert.deepEqual(problems.console.filter((m) => !/status of 403/.test(m)), [])
    assert.deepEqual(problems.page, [])
  })
})
