// GraphiQL against this server's /graphql, with the session cookie and a header that marks
// requests as coming from the playground (the server can log or rate-limit them apart).
import { createGraphiQLFetcher } from '@graphiql/toolkit'
import { GraphiQL } from 'graphiql'
import 'graphiql/setup-workers/vite'
import 'graphiql/style.css'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { websocketURL } from '../graphql/client'

const DEFAULT_QUERY = `# The Provisioning Report's API. Try:
query LatestEvents {
  events(first: 10) {
    totalCount
    edges {
      node {
        typeName
        finishedAt
        added
        updated
        errors
        syncProfile { name }
        user { username }
      }
    }
  }
}
`

/** mount renders GraphiQL into the element. */
export function mount(el: HTMLElement): void {
  const fetcher = createGraphiQLFetcher({
    url: '/graphql',
    subscriptionUrl: websocketURL(),
    headers: { 'X-Requested-With': 'graphiql' },
    fetch: (input, init) => fetch(input, { ...init, credentials: 'same-origin' }),
  })
  createRoot(el).render(
    <StrictMode>
      <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} />
    </StrictMode>,
  )
}
