// Starts the real server for browser tests: the binary named by PROVREPORT_BIN (built by
// `make build`, with this dashboard embedded), a fresh SQLite database and the demo school.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** PASSWORD is the demo admin's password in tests. */
export const PASSWORD = 'e2e-demo-password'

/** signInDemoAdmin signs the demo admin in on page and waits for the report's first row. */
export async function signInDemoAdmin(page, url) {
  await page.goto(`${url}/signin`)
  await page.getByLabel('School').fill('demo')
  await page.getByLabel('Username').fill('admin')
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL((u) => u.pathname === '/')
  await page.locator('table.events tbody tr').first().waitFor()
}

/** serverBinary returns PROVREPORT_BIN; the browser tests need it and fail without it. */
export function serverBinary() {
  const bin = process.env.PROVREPORT_BIN
  if (!bin) throw new Error('PROVREPORT_BIN is not set: run `make test`, or set it to a built provreport binary')
  return bin
}

/** freePort returns a TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort() {
  const srv = createServer()
  await new Promise((resolve, reject) => {
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', resolve)
  })
  const { port } = srv.address()
  await new Promise((r) => srv.close(r))
  return port
}

/**
 * startServer runs `provreport serve --demo` on a free port and resolves once it listens, with
 * { url, token, stop }. token is the demo API token (reports:read, events:write).
 *
 * Options: env adds environment variables (PROVREPORT_SMTP_URL, …); port fixes the port, for
 * servers whose emails must link to themselves (links use http://ADDR when PROVREPORT_PUBLIC_URL
 * is unset, so port 0 would make them useless). dir is the server's working folder; its data
 * folder (export files, mail outbox) is dir/data.
 */
export async function startServer({ timeoutMs = 120_000, env = {}, port = 0 } = {}) {
  const bin = serverBinary()
  const dir = mkdtempSync(join(tmpdir(), 'provreport-e2e-'))
  const child = spawn(bin, ['serve', '--demo', '--addr', `127.0.0.1:${port}`, '--database-url', `sqlite:${join(dir, 'e2e.db')}`], {
    // The server writes its mail outbox (and any other files) relative to its directory.
    cwd: dir,
    env: { ...process.env, PROVREPORT_DEMO_PASSWORD: PASSWORD, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  let exited = ''
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in ${timeoutMs} ms:\n${output}`)), timeoutMs)
    const onData = (chunk) => {
      output += chunk
      const m = output.match(/listening on (http:\/\/\S+)/)
      if (m) {
        clearTimeout(timer)
        const token = output.match(/\b(prt_[A-Za-z0-9_-]+)/)?.[1] ?? null
        resolve({ url: m[1].replace(/\/$/, ''), token })
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      exited = `server exited (code ${code}, signal ${signal})`
      reject(new Error(`${exited}:\n${output}`))
    })
  })
  const { url, token } = await ready
  return {
    url,
    token,
    output: () => output,
    /** exited says how the server stopped, or '' while it runs. */
    exited: () => exited,
    dir,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM')
        await new Promise((r) => {
          const t = setTimeout(() => {
            child.kill('SIGKILL')
            r()
          }, 10_000)
          child.once('exit', () => {
            clearTimeout(t)
            r()
          })
        })
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** gql posts a GraphQL request (with a bearer token when given) and returns the JSON body. */
export async function gql(url, query, variables = {}, token) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  })
  return res.json()
}


/** stopServer stops a test server, first printing the end of its output when it died (or E2E_VERBOSE is set). */
export async function stopServer(server) {
  if (server?.exited() || process.env.E2E_VERBOSE) {
    console.error(`--- server ${server.exited() || 'output'} ---\n${server.output().split('\n').slice(-40).join('\n')}`)
  }
  await server?.stop()
}
