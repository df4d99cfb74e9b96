import { launch } from './helpers.mjs'
const base = 'http://127.0.0.1:18080'
const b = await launch(); const ctx = await b.newContext({ viewport: { width: 1440, height: 900 } }); const page = await ctx.newPage()
await page.goto(base + '/signin')
await page.getByLabel('School').fill('demo'); await page.getByLabel('Username').fill('admin'); await page.getByLabel('Password').fill('demo-password-1')
await page.getByRole('button', { name: 'Sign in' }).click()
await page.locator('table.events tbody tr').first().waitFor()
for (const q of ['?type=USER_CSV_FAILED', '?from=2026-11-01T00:00&to=2026-11-20T00:00', '']) {
  await page.goto(base + '/' + q); await page.locator('table.events tbody tr').first().waitFor()
  await page.getByRole('button', { name: 'Download' }).click(); await page.locator('.download-message .alert').waitFor()
}
await page.screenshot({ path: '/tmp/dl.png' })
await page.waitForTimeout(6000)
await page.goto(base + '/exports'); await page.waitForTimeout(1500); await page.screenshot({ path: '/tmp/exports.png' })
await page.locator('table.list-table tbody tr a').first().click(); await page.waitForTimeout(1500); await page.screenshot({ path: '/tmp/export.png' })
await b.close()
