// Apollo Client, as a third-party dashboard would use it, against the real server
// (PROVREPORT_BIN), without a browser: its relayStylePagination field policy merges pages
// of `events` fetched forwards and backwards into one list that matches a single large
// page, with no duplicate and no gap, and the instants read under their …At names.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client/core'
import { relayStylePagination } from '@apollo/client/utilities'
import { startServer, stopServer } from './server.mjs'

const EVENTS = gql`
  query ApolloEvents($first: Int, $after: Cursor, $last: Int, $before: Cursor, $filter: ReportFilter) {
    events(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
      totalCount
      edges {
        cursor
        node {
          id
          finishedAt
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
    }
  }
`

describe('Apollo Client paging events with relayStylePagination', () => {
  let server

  before(async () => {
    server = await startServer()
  })

  after(async () => {
    await stopServer(server)
  })

  const client = () =>
    new ApolloClient({
      link: new HttpLink({ uri: `${server.url}/graphql`, headers: { authorization: `Bearer ${server.token}` } }),
      cache: new InMemoryCache({
        typePolicies: { Query: { fields: { events: relayStylePagination(['filter']) } } },
      }),
    })

  const ids = (events) => events.edges.map((e) => e.node.id)

  test('pages forwards and backwards merge into the same list as one big page', async () => {
    const filter = { activeOnly: false }
    const big = await client().query({ query: EVENTS, variables: { first: 12, filter }, fetchPolicy: 'no-cache' })
    const want = ids(big.data.events)
    assert.equal(want.length, 12, 'the demo school has more than 12 events')

    // Forwards: three pages of four, each written into the cache, where the field policy
    // appends it to what is there.
    const apollo = client()
    let after = null
    for (let i = 0; i < 3; i++) {
      const page = await apollo.query({ query: EVENTS, variables: { first: 4, after, filter }, fetchPolicy: 'network-only' })
      after = page.data.events.pageInfo.endCursor
      assert.ok(after)
    }
    const merged = apollo.readQuery({ query: EVENTS, variables: { first: 4, filter } })
    assert.deepEqual(ids(merged.events), want)
    assert.equal(new Set(ids(merged.events)).size, 12, 'no event twice')
    for (const e of merged.events.edges) assert.ok(!Number.isNaN(Date.parse(e.node.finishedAt)), 'finishedAt is a time')
    assert.equal(merged.events.pageInfo.hasNextPage, true)

    // Backwards: start from the middle page, then fetch the page before it with
    // last/before; the policy prepends it.
    const back = client()
    const firstPage = await client().query({ query: EVENTS, variables: { first: 4, filter }, fetchPolicy: 'no-cache' })
    const middle = await back.query({
      query: EVENTS,
      variables: { first: 4, after: firstPage.data.events.pageInfo.endCursor, filter },
      fetchPolicy: 'network-only',
    })
    assert.deepEqual(ids(middle.data.events), want.slice(4, 8))
    const before = await back.query({
      query: EVENTS,
      variables: { last: 4, before: middle.data.events.pageInfo.startCursor, filter },
      fetchPolicy: 'network-only',
    })
    assert.equal(before.data.events.pageInfo.hasPreviousPage, false)
    const joined = back.readQuery({ query: EVENTS, variables: { first: 4, filter } })
    assert.deepEqual(ids(joined.events), want.slice(0, 8))
  })
})
