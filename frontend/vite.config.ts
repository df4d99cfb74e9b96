import { readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import react from '@vitejs/plugin-react'
import { defineConfig, type Plugin } from 'vite'

const outDir = resolve(import.meta.dirname, 'dist')

// keepGitkeep empties dist/ before a build but leaves dist/.gitkeep, which must stay committed so
// that `go build` (frontend/embed.go embeds dist) works on a machine without Node.
function keepGitkeep(): Plugin {
  return {
    name: 'provreport-keep-gitkeep',
    apply: 'build',
    buildStart() {
      for (const entry of safeReaddir(outDir)) {
        if (entry !== '.gitkeep') rmSync(join(outDir, entry), { recursive: true, force: true })
      }
    },
    closeBundle() {
      writeFileSync(join(outDir, '.gitkeep'), '')
    },
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

// The Go server; `npm run dev` proxies the API to it so cookies stay same-origin.
const backend = process.env.PROVREPORT_BACKEND ?? 'http://localhost:8080'

export default defineConfig({
  plugins: [react(), keepGitkeep()],
  build: {
    outDir,
    emptyOutDir: false,
    // No inline <script> or data: URLs for scripts: the server sends a strict CSP.
    assetsInlineLimit: (file) => (file.endsWith('.svg') || file.endsWith('.png') ? undefined : false),
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      onwarn(warning, warn) {
        // GraphiQL's packages carry React Compiler directives ("use no memo") that bundling drops
        // harmlessly; everything else still warns.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return
        warn(warning)
      },
      input: {
        main: resolve(import.meta.dirname, 'index.html'),
        playground: resolve(import.meta.dirname, 'playground.html'),
      },
    },
  },
  worker: { format: 'es' },
  server: {
    proxy: {
      '/graphql': { target: backend, ws: true, changeOrigin: false },
      // CSV downloads are served by the Go server under the export's own page path.
      '^/exports/[^/]+/download': { target: backend },
      '/healthz': { target: backend },
    },
  },
})
