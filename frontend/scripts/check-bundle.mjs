#!/usr/bin/env node
// Fails the build when the report page's first-load JavaScript, gzipped, exceeds the budget.
// First load = the module scripts and modulepreload links that dist/index.html names; lazily
// loaded chunks (secondary pages, GraphiQL) are not counted, which is the point of loading
// them lazily. Usage: node scripts/check-bundle.mjs [--budget-kb=250] [--html=dist/index.html]
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const here = dirname(fileURLToPath(import.meta.url))
const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=')
    return [k, v ?? 'true']
  }),
)
const budgetKB = Number(args['budget-kb'] ?? 250)
const htmlPath = resolve(here, '..', args.html ?? 'dist/index.html')
const distDir = dirname(htmlPath)

const html = readFileSync(htmlPath, 'utf8')
const urls = new Set()
for (const tag of html.match(/<(script|link)\b[^>]*>/gi) ?? []) {
  const isScript = /^<script/i.test(tag) && /\bsrc=/i.test(tag)
  const isPreload = /^<link/i.test(tag) && /\brel=["']?modulepreload/i.test(tag)
  if (!isScript && !isPreload) continue
  const m = tag.match(/\b(?:src|href)=["']?([^"'\s>]+)/i)
  if (m && !/^(https?:)?\/\//.test(m[1])) urls.add(m[1])
}
if (/<script\b(?![^>]*\bsrc=)[^>]*>\s*\S/i.test(html)) {
  console.error('check-bundle: dist/index.html has an inline <script>, which the CSP blocks')
  process.exit(1)
}
if (urls.size === 0) {
  console.error(`check-bundle: no scripts found in ${htmlPath}`)
  process.exit(1)
}

let total = 0
const rows = []
for (const url of urls) {
  const file = join(distDir, url.replace(/^\//, ''))
  const gz = gzipSync(readFileSync(file), { level: 9 }).length
  total += gz
  rows.push([url, gz])
}
for (const [url, gz] of rows.sort((a, b) => b[1] - a[1])) {
  console.log(`  ${(gz / 1024).toFixed(1).padStart(7)} KB  ${url}`)
}
const kb = total / 1024
console.log(`check-bundle: first-load JS ${kb.toFixed(1)} KB gzipped (budget ${budgetKB} KB)`)
if (kb > budgetKB) {
  console.error(`check-bundle: over budget by ${(kb - budgetKB).toFixed(1)} KB; lazy-load something`)
  process.exit(1)
}
