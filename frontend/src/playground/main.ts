// Entry of /playground: a tiny loader that pulls GraphiQL (and Monaco) in as separate chunks,
// so none of it is part of the report page's bundle.
import './playground-shell.css'

const root = document.getElementById('playground')!

import('./Playground')
  .then(({ mount }) => mount(root))
  .catch((err: unknown) => {
    root.textContent = `GraphiQL failed to load: ${err instanceof Error ? err.message : String(err)}`
  })
