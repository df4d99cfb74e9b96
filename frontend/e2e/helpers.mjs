// Shared helpers of the browser tests: Debian's Chromium through playwright-core (never a
// downloaded browser), and a static server for dist/ with the CSP the Go server sends.
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { extname, join, normalize } from 'node:path'
import { chromium } from 'playwright-core'

/** STRICT_CSP is the policy the dashboard must work under. */
export const STRICT_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:"

/**
 * PLAYGROUND_CSP is the looser policy /playground needs: GraphiQL's editor (Monaco) injects
 * <style> elements and loads its icon font from a data: URL. Only that page gets it.
 */
export const PLAYGROUND_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; connect-src 'self' ws: wss:; img-src 'self' data:"

/** CHROMIUM is the browser binary; PROVREPORT_CHROMIUM overrides it. */
export const CHROMIUM = process.env.PROVREPORT_CHROMIUM ?? '/usr/bin/chromium'

/** launch starts headless Chromium. */
export async function launch() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`)
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/**
 * watchPage records console errors, page errors and CSP violations of a page, so a test can
 * assert that a page loaded cleanly.
 */
export function watchPage(page) {
  const problems = { console: [], page: [], csp: [] }
  page.on('console', (m) => {
    if (m.type() === 'error') problems.console.push(m.text())
    if (/Content Security Policy/i.test(m.text())) problems.csp.push(m.text())
  })
  page.on('pageerror', (e) => problems.page.push(String(e)))
  return problems
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.ttf': 'font/ttf',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
}

/**
 * serveDist serves dist/ the way the Go server does (SPA fallback to index.html, /playground →
 * playground.html) with the given CSPs; `graphql` answers POST /graphql. Returns { url, close }.
 */
export async function serveDist({ csp = STRICT_CSP, playgroundCSP, graphql } = {}) {
  const dist = new URL('../dist/', import.meta.url).pathname
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x')
    if (url.pathname === '/graphql') {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        const reply = graphql ? graphql(JSON.parse(body || '{}')) : { data: null, errors: [{ message: 'no server' }] }
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(reply))
      })
      return
    }
    let file = normalize(url.pathname).replace(/^(\.\.[/\\])+/, '')
    if (file === '/playground') file = '/playground.html'
    const policy = file === '/playground.html' ? (playgroundCSP ?? csp) : csp
    let path = join(dist, file)
    if (!existsSync(path) || file === '/' || !extname(file)) path = join(dist, 'index.html')
    res.writeHead(200, {
      'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
      'content-security-policy': policy,
    })
    res.end(readFileSync(path))
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address()
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) }
}

/**
 * shot saves a screenshot for docs/screenshots/ (each is looked at before it is committed);
 * options go to page.screenshot, such as a clip of part of the page. Transitions are run to
 * their end first, so that a control just clicked (a change's chevron turning) shows as it
 * settles rather than halfway.
 */
export async function shot(page, name, options = {}) {
  await page.screenshot({ animations: 'disabled', ...options, path: join(new URL('../../docs/screenshots/', import.meta.url).pathname, `${name}.png`) })
}
