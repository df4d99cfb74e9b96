// The top bar: product name, navigation, who is signed in at which school, and Sign out.
import { useState } from 'react'
import { useMutation } from 'urql'
import { SignOutDocument } from '../gql/graphql'
import { describeError } from '../lib/errors'
import { attentionSummary } from '../lib/health'
import { useSyncHealth } from '../lib/useSyncHealth'
import { Link, navigate, useLocation } from '../lib/router'
import { useSession } from '../session'

/** Header is shown on every page but sign-in. */
export function Header() {
  const { me, school, restart } = useSession()
  const { pathname } = useLocation()
  const [{ fetching }, signOut] = useMutation(SignOutDocument)
  const [error, setError] = useState('')
  const health = useSyncHealth(Boolean(me))
  const profiles = health.data?.syncProfiles
  const attention = profiles ? attentionSummary(profiles.map((p) => p.health.status)) : ''

  async function onSignOut() {
    setError('')
    const res = await signOut({})
    if (res.error && !res.error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) {
      setError(describeError(res.error))
      return
    }
    restart()
    navigate('/signin', { replace: true })
  }

  const current = (p: string) => (p === '/' ? pathname === '/' : pathname.startsWith(p)) ? 'page' : undefined

  return (
    <header className="app-header">
      <div className="brand">
        <Link to="/" className="brand-link" aria-label="Provisioning Report, home">
          <svg aria-hidden="true" viewBox="0 0 24 24" className="brand-mark">
            <path d="M4 19V5m0 14h16M8 15l3-4 3 2 5-7" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
          <span>Provisioning Report</span>
        </Link>
      </div>
      {me && (
        <nav aria-label="Main" className="main-nav">
          <Link to="/" aria-current={current('/')}>
            Report
          </Link>
          <Link to="/health" aria-current={current('/health')}>
            Sync health
          </Link>
          <Link to="/people" aria-current={current('/people') ?? current('/users')}>
            People
          </Link>
          <Link to="/exports" aria-current={current('/exports')}>
            Exports
          </Link>
          {me.role === 'ADMIN' && (
            <>
              <Link to="/tokens" aria-current={current('/tokens')}>
                API tokens
              </Link>
              <Link to="/sign-in-settings" aria-current={current('/sign-in-settings')}>
                Sign-in settings
              </Link>
              <a href="/playground">Playground</a>
            </>
          )}
        </nav>
      )}
      {/* The summary arrives after the page; its slot is kept from the start, so that nothing
          beside it moves when it does. */}
      {me && (
        <div className="health-slot">
          {profiles && profiles.length > 0 && (
            <Link to="/health" className={attention ? 'health-summary attention' : 'health-summary ok'}>
              <svg viewBox="0 0 16 16" aria-hidden="true">
                <circle cx="8" cy="8" r="5" fill="currentColor" />
              </svg>
              {attention || 'All syncs healthy'}
            </Link>
          )}
        </div>
      )}
      {me && (
        <div className="who">
          <span className="who-text">
            <span className="who-name" title={me.email}>
              {me.displayName || me.username}
            </span>
            {school && (
              <span className="who-school" title={school.name}>
                {school.name}
              </span>
            )}
          </span>
          <button type="button" className="button secondary small" onClick={onSignOut} disabled={fetching}>
            {fetching ? 'Signing out…' : 'Sign out'}
          </button>
          {error && (
            <span className="header-error" role="alert">
              {error}
            </span>
          )}
        </div>
      )}
    </header>
  )
}
