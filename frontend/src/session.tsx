// Who is signed in, and the GraphQL client that belongs to that sign-in. Signing in or out
// replaces the client so that no cached data of one session survives into the next.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import { Provider, useQuery } from 'urql'
import { MeDocument, SchoolDocument, type MeQuery, type SchoolQuery } from './gql/graphql'
import { createSession, type LiveConnection, type Session } from './graphql/client'
import { navigate } from './lib/router'
import { setNumberLocale } from './lib/format'

/** Me is the signed-in user. */
export type Me = NonNullable<MeQuery['me']>
/** School is the signed-in user's school. */
export type School = SchoolQuery['school']

interface SessionValue {
  /** undefined while loading, null when signed out. */
  me: Me | null | undefined
  school: School | undefined
  /** An error loading the session itself (not UNAUTHENTICATED), in words elsewhere. */
  error: Error | undefined
  live: LiveConnection
  /** restart drops the client and its cache and loads the session again. */
  restart: () => void
}

const SessionContext = createContext<SessionValue | null>(null)

/** useSession returns the current session; it must be used below SessionProvider. */
export function useSession(): SessionValue {
  const v = useContext(SessionContext)
  if (!v) throw new Error('useSession outside SessionProvider')
  return v
}

/** signInPath is where to send a signed-out visitor, coming back to `next` afterwards. */
export function signInPath(next: string): string {
  return next && next !== '/' ? `/signin?next=${encodeURIComponent(next)}` : '/signin'
}

/** SessionProvider owns the GraphQL client and loads the signed-in user. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const expired = useRef<() => void>(() => {})
  const make = useCallback(() => createSession(() => expired.current()), [])
  const [session, setSession] = useState<Session>(make)
  const restart = useCallback(() => {
    setSession((old) => {
      old.dispose()
      return make()
    })
  }, [make])
  useEffect(() => () => session.dispose(), [session])

  // A session that expires mid-use sends the user to sign in and back. Only a signed-in
  // session can expire; a signed-out one simply shows the sign-in page.
  const signedIn = useRef(false)
  const onSignedIn = useCallback((v: boolean) => {
    signedIn.current = v
  }, [])
  useEffect(() => {
    expired.current = () => {
      const here = window.location.pathname + window.location.search
      if (!signedIn.current || window.location.pathname === '/signin') return
      signedIn.current = false
      restart()
      navigate(signInPath(here), { replace: true })
    }
  }, [restart])

  return (
    <Provider value={session.client}>
      <SessionLoader live={session.live} restart={restart} onSignedIn={onSignedIn}>
        {children}
      </SessionLoader>
    </Provider>
  )
}

interface LoaderProps {
  live: LiveConnection
  restart: () => void
  onSignedIn: (signedIn: boolean) => void
  children: ReactNode
}

function SessionLoader({ live, restart, onSignedIn, children }: LoaderProps) {
  const [meResult] = useQuery({ query: MeDocument, requestPolicy: 'network-only' })
  const me = meResult.fetching && !meResult.data ? undefined : (meResult.data?.me ?? (meResult.error ? undefined : null))
  useEffect(() => onSignedIn(Boolean(me)), [me, onSignedIn])
  const [schoolResult] = useQuery({ query: SchoolDocument, pause: !me })
  const unauthenticated = meResult.error?.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')
  const value = useMemo<SessionValue>(
    () => {
      // Numbers are formatted in the school's locale before any page renders with them.
      setNumberLocale(schoolResult.data?.school?.locale)
      return {
      me: unauthenticated ? null : me,
      school: schoolResult.data?.school,
      error: unauthenticated ? undefined : (meResult.error ?? schoolResult.error),
      live,
      restart,
      }
    },
    [me, unauthenticated, schoolResult.data, meResult.error, schoolResult.error, live, restart],
  )
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>
}
