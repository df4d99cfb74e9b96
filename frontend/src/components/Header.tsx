// The top bar: product name, navigation, who is signed in at which school, and Sign out. On a
// phone the navigation and the signed-in person fold into a menu behind one button, and the
// health summary stays beside it.
import { useEffect, useId, useRef, useState, type ReactNode } from 'react'
import { useMutation } from 'urql'
import { SignOutDocument } from '../gql/graphql'
import { describeError } from '../lib/errors'
import { attentionSummary } from '../lib/health'
import { useSyncHealth } from '../lib/useSyncHealth'
import { Link, navigate, useLocation } from '../lib/router'
import { PHONE, useMediaQuery } from '../lib/useMediaQuery'
import { useSession } from '../session'

/** Header is shown on every page but sign-in. */
export function Header() {
  const { me, school, restart } = useSession()
  const { pathname } = useLocation()
  const [{ fetching }, signOut] = useMutation(SignOutDocument)
  const [error, setError] = useState('')
  const health = useSyncHealth(Boolean(me))
  const phone = useMediaQuery(PHONE)
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

  const nav = me && (
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
  )

  // The summary arrives after the page; its slot is kept from the start, so that nothing beside
  // it moves when it does.
  const slot = me && (
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
  )

  const who = me && (
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
  )

  const brand = (
    <div className="brand">
      <Link to="/" className="brand-link" aria-label="Provisioning Report, home">
        <svg aria-hidden="true" viewBox="0 0 24 24" className="brand-mark">
          <path d="M4 19V5m0 14h16M8 15l3-4 3 2 5-7" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        <span>Provisioning Report</span>
      </Link>
    </div>
  )

  // A phone gets its own order, so that focus follows what it shows: the brand, the health
  // summary, the Menu button and then what the menu holds. Wider screens keep the order they
  // always had (the links, the summary, the person).
  if (phone && me) {
    return (
      <header className="app-header phone">
        {brand}
        {slot}
        <PhoneMenu pathname={pathname}>
          {nav}
          {who}
        </PhoneMenu>
      </header>
    )
  }

  return (
    <header className="app-header">
      {brand}
      {nav}
      {slot}
      {who}
    </header>
  )
}

/**
 * PhoneMenu is a disclosure: a Menu button and the panel it opens under the header. Escape
 * closes it and puts focus back on the button; so do a click on a link inside, a click or focus
 * anywhere outside, and a change of page.
 */
function PhoneMenu({ pathname, children }: { pathname: string; children: ReactNode }) {
  const id = useId()
  const [open, setOpen] = useState(false)
  const root = useRef<HTMLDivElement>(null)
  const button = useRef<HTMLButtonElement>(null)

  // A page change closes the menu, whichever way it came (a link, Back, a redirect).
  const [shownFor, setShownFor] = useState(pathname)
  if (shownFor !== pathname) {
    setShownFor(pathname)
    setOpen(false)
  }

  useEffect(() => {
    if (!open) return
    function onDown(e: PointerEvent) {
      if (!root.current?.contains(e.target as Node)) setOpen(false)
    }
    function onKey(e: KeyboardEvent) {
      if (e.key !== 'Escape') return
      e.preventDefault()
      setOpen(false)
      button.current?.focus()
    }
    document.addEventListener('pointerdown', onDown)
    document.addEventListener('keydown', onKey)
    return () => {
      document.removeEventListener('pointerdown', onDown)
      document.removeEventListener('keydown', onKey)
    }
  }, [open])

  return (
    <div
      className="menu-root"
      ref={root}
      onBlur={(e) => {
        // Focus moving on past the menu closes it; a click on plain text inside (no new focus)
        // does not.
        if (open && e.relatedTarget && !root.current?.contains(e.relatedTarget as Node)) setOpen(false)
      }}
    >
      <button
        ref={button}
        type="button"
        className="menu-button"
        aria-expanded={open}
        aria-controls={id}
        onClick={() => setOpen((o) => !o)}
      >
        <svg viewBox="0 0 20 20" aria-hidden="true">
          {open ? (
            <path d="M5 5l10 10M15 5L5 15" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
          ) : (
            <path d="M3 5h14M3 10h14M3 15h14" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
          )}
        </svg>
        Menu
      </button>
      <div
        id={id}
        className="header-menu"
        hidden={!open}
        onClick={(e) => {
          if ((e.target as Element).closest('a')) setOpen(false)
        }}
      >
        {children}
      </div>
    </div>
  )
}
