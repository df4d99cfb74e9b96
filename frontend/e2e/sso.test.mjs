// Single sign-on in a real browser: the demo school gets a provider (the loopback OpenID
// Provider of internal/oidctest, built and run here) through the command line; the sign-in page
// then shows its button once the school is filled in, the provider's own form signs the user in,
// and the browser lands on the dashboard signed in. A user the provider's groups give no role is
// sent back to the sign-in page, which says why.
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { launch, shot, watchPage } from './helpers.mjs'
import { freePort, serverBinary, startServer, stopServer } from './server.mjs'

const repo = new URL('../../', import.meta.url).pathname

/** startProvider builds and runs the loopback OpenID Provider; resolves with { issuer, stop }. */
async function startProvider(args) {
  let bin = process.env.PROVREPORT_OIDC_TEST_PROVIDER
  if (!bin) {
    bin = join(mkdtempSync(join(tmpdir(), 'provreport-op-')), 'op')
    execFileSync('go', ['build', '-o', bin, './internal/oidctest/cmd'], {
      cwd: repo,
      stdio: 'inherit',
    })
  }
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  const issuer = await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (c) => {
      out += c
      const m = out.match(/^(http:\/\/\S+)\n/)
      if (m) resolve(m[1])
    })
    child.on('exit', (code) => reject(new Error(`provider exited with ${code}`)))
  })
  return { issuer, stop: () => child.kill('SIGTERM') }
}

describe('single sign-on', () => {
  let server
  let provider
  let browser

  before(async () => {
    const port = await freePort()
    const publicURL = `http://127.0.0.1:${port}`
    const key = randomBytes(32).toString('base64')
    provider = await startProvider([
      '-client-id',
      'provreport-e2e',
      '-client-secret',
      'e2e-client-secret',
      '-redirect-uri',
      `${publicURL}/auth/oidc/callback`,
      '-user',
      'ada:ada-idp-password:ada@demo.test:true:report-admins',
      '-user',
      'zed:zed-idp-password:zed@demo.test:true:students',
    ])
    server = await startServer({
      port,
      env: { PROVREPORT_SECRET_KEY: key, PROVREPORT_PUBLIC_URL: publicURL },
    })
    execFileSync(
      serverBinary(),
      [
        'sso',
        'add',
        '--school',
        'demo',
        '--name',
        'Riverside Accounts',
        '--issuer',
        provider.issuer,
        '--client-id',
        'provreport-e2e',
        '--client-secret-env',
        'E2E_CLIENT_SECRET',
        '--allowed-domains',
        'demo.test',
        '--admin-group',
        'report-admins',
        '--database-url',
        `sqlite:${join(server.dir, 'e2e.db')}`,
      ],
      {
        env: {
          ...process.env,
          PROVREPORT_SECRET_KEY: key,
          E2E_CLIENT_SECRET: 'e2e-client-secret',
        },
        stdio: 'pipe',
      },
    )
    browser = await launch()
  })

  after(async () => {
    await browser?.close()
    provider?.stop()
    await stopServer(server)
  })

  test('the provider button signs an admin in', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage()
    const problems = watchPage(page)
    await page.goto(`${server.url}/signin`)
    await page.getByLabel('School').fill('demo')
    const button = page.getByRole('link', {
      name: 'Sign in with Riverside Accounts',
    })
    await button.waitFor()
    // The password form stays beside the button.
    await page.getByLabel('Password').waitFor()
    await shot(page, 'signin-sso')
    await button.click()
    await page.waitForURL((u) => u.href.startsWith(provider.issuer))
    await page.getByLabel('Username').fill('ada')
    await page.getByLabel('Password').fill('ada-idp-password')
    await page.getByRole('button', { name: 'Continue' }).click()
    await page.waitForURL((u) => u.origin === server.url && u.pathname === '/')
    // The header's health summary arrives after the page and moves the nav links; clicking
    // before it could land on another link.
    await page.locator('.health-summary').waitFor()
    await page.getByRole('link', { name: 'Sign-in settings' }).click()
    await page.waitForURL((u) => u.pathname === '/sign-in-settings')
    await page.getByRole('heading', { name: 'Sign-in settings' }).waitFor()
    await page.getByRole('cell', { name: 'demo.test' }).waitFor()
    await shot(page, 'sign-in-settings')
    assert.deepEqual(problems.console, [])
    assert.deepEqual(problems.page, [])
  })

  test('a user without a role is sent back with the reason', async () => {
    const page = await (await browser.newContext()).newPage()
    const problems = watchPage(page)
    await page.goto(`${server.url}/signin`)
    await page.getByLabel('School').fill('demo')
    await page.getByRole('link', { name: 'Sign in with Riverside Accounts' }).click()
    await page.waitForURL((u) => u.href.startsWith(provider.issuer))
    await page.getByLabel('Username').fill('zed')
    await page.getByLabel('Password').fill('zed-idp-password')
    await page.getByRole('button', { name: 'Continue' }).click()
    await page.waitForURL((u) => u.origin === server.url && u.pathname === '/signin')
    await page.getByRole('alert').filter({ hasText: 'does not give you access' }).waitFor()
    await shot(page, 'signin-sso-refused')
    assert.deepEqual(problems.console, [])
    assert.deepEqual(problems.page, [])
  })
})
