import { launch } from './helpers.mjs'
const base = 'http://127.0.0.1:18080'
const b = await launch(); const page = await (await b.newContext()).newPage()
page.on('console', m => console.log('console', m.type(), m.text().slice(0,200)))
page.on('websocket', ws => { console.log('ws open', ws.url()); ws.on('framesent', f => console.log('>', String(f.payload).slice(0,300))); ws.on('framereceived', f => console.log('<', String(f.payload).slice(0,300))); ws.on('close', () => console.log('ws closed')) })
await page.goto(base + '/signin')
await page.getByLabel('School').fill('demo'); await page.getByLabel('Username').fill('admin'); await page.getByLabel('Password').fill('demo-password-1')
await page.getByRole('button', { name: 'Sign in' }).click()
await page.waitForTimeout(5000); await page.screenshot({path:'/tmp/ws.png'})
await page.waitForTimeout(4000)
console.log(await page.locator('.live-state').innerText())
await b.close()
