// The GraphQL client: queries and mutations over HTTP POST to /graphql (same origin, so the
// session cookie goes along), subscriptions over graphql-ws at ws(s)://host/graphql.
import { createClient as createWSClient, type Client as WSClient } from 'graphql-ws'
import { cacheExchange, Client, fetchExchange, mapExchange, subscriptionExchange } from 'urql'

/** LiveState is the state of the subscription connection, as shown next to the live feed. */
export type LiveState = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'reconnected'

type Listener = (state: LiveState) => void

/** LiveConnection tracks the websocket so the UI can say "Live", "Reconnecting…", "Reconnected". */
export class LiveConnection {
  state: LiveState = 'idle'
  private listeners = new Set<Listener>()
  /** lost is true from an unexpected close until the next successful connection. */
  private lost = false
  private everConnected = false
  private settleTimer: ReturnType<typeof setTimeout> | undefined

  /** subscribe registers a listener; it returns the function that removes it. */
  subscribe = (l: Listener): (() => void) => {
    this.listeners.add(l)
    return () => {
      this.listeners.delete(l)
    }
  }

  /** getState returns the current state (for useSyncExternalStore). */
  getState = (): LiveState => this.state

  private set(state: LiveState) {
    if (this.state === state) return
    this.state = state
    for (const l of this.listeners) l(state)
  }

  /** onConnecting is called by graphql-ws before each connection attempt. */
  onConnecting(): void {
    this.set(this.lost ? 'reconnecting' : 'connecting')
  }

  /** onConnected is called when the server acknowledged the connection. */
  onConnected(): void {
    clearTimeout(this.settleTimer)
    if (this.lost) {
      this.set('reconnected')
      // "Reconnected" is news for a few seconds, then it is simply live again.
      this.settleTimer = setTimeout(() => this.set('live'), 4000)
    } else {
      this.set('live')
    }
    this.lost = false
    this.everConnected = true
  }

  /**
   * onClosed is called when the socket closed. A normal close (no subscriptions left, or sign
   * out) makes the connection idle; any other close of a connection that had worked is a loss,
   * and graphql-ws retries.
   */
  onClosed(normal: boolean): void {
    clearTimeout(this.settleTimer)
    if (normal) {
      this.lost = false
      this.set('idle')
    } else if (this.everConnected) {
      this.lost = true
      this.set('reconnecting')
    }
  }
}

/** websocketURL is the subscription endpoint on the page's own host. */
export function websocketURL(loc: Pick<Location, 'protocol' | 'host'> = window.location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/graphql`
}

/** Session bundles the client and its websocket, so signing out can drop both. */
export interface Session {
  client: Client
  live: LiveConnection
  dispose: () => void
}

/**
 * createSession builds a fresh client (with an empty cache). onUnauthenticated is called when
 * any operation fails with UNAUTHENTICATED, e.g. because the session cookie expired.
 */
export function createSession(onUnauthenticated: () => void): Session {
  const live = new LiveConnection()
  let closingOnPurpose = false
  let ws: WSClient | null = null
  const wsClient = (): WSClient => {
    ws ??= createWSClient({
      url: websocketURL(),
      lazy: true,
      lazyCloseTimeout: 3000,
      keepAlive: 15_000,
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: () => true,
      retryWait: async (retries) => {
        // Exponential back-off with jitter, capped at 15 s, so a restarting server is not stormed.
        const base = Math.min(15_000, 500 * 2 ** Math.min(retries, 5))
        await new Promise((r) => setTimeout(r, base / 2 + Math.random() * (base / 2)))
      },
      on: {
        connecting: () => live.onConnecting(),
        connected: () => live.onConnected(),
        closed: (event) => live.onClosed(closingOnPurpose || (event as CloseEvent | undefined)?.code === 1000),
      },
    })
    return ws
  }

  const client = new Client({
    url: '/graphql',
    fetchOptions: {
      credentials: 'same-origin',
      headers: {
        'X-Requested-With': 'provreport',
        // Plain JSON answers: queries and mutations never stream, and an event-stream answer
        // starts before a resolver can set a cookie (sign-in). Subscriptions use the websocket.
        accept: 'application/graphql-response+json, application/json',
      },
    },
    preferGetMethod: false,
    requestPolicy: 'cache-and-network',
    exchanges: [
      mapExchange({
        onError(error) {
          if (error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) onUnauthenticated()
          else if ((error.response as Response | undefined)?.status === 401) onUnauthenticated()
        },
      }),
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' }
          return {
            subscribe(sink) {
              const unsubscribe = wsClient().subscribe(input, sink)
              return { unsubscribe }
            },
          }
        },
      }),
    ],
  })

  return {
    client,
    live,
    dispose() {
      closingOnPurpose = true
      // Disposing while a connection attempt is under way rejects with that attempt's close
      // event; at sign-out that is expected, not an error for the console.
      Promise.resolve(ws?.dispose()).catch(() => {})
    },
  }
}
