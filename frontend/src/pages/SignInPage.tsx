// Sign in with school, username and password; afterwards return to the page that asked (?next=).
import { useEffect, useId, useRef, useState, type FormEvent } from 'react'
import { useMutation } from 'urql'
import { SignInDocument } from '../gql/graphql'
import { describeError, errorCode } from '../lib/errors'
import { navigate, safeNext, useLocation } from '../lib/router'
import { useSession } from '../session'

const LAST_SCHOOL = 'provreport.school'

/** SignInPage is the only page a signed-out visitor sees. */
export function SignInPage() {
  const { search } = useLocation()
  const next = safeNext(new URLSearchParams(search).get('next'))
  const { me, restart } = useSession()
  const [school, setSchool] = useState(() => readLastSchool())
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState('')
  const [{ fetching }, signIn] = useMutation(SignInDocument)
  const id = useId()
  const errorRef = useRef<HTMLDivElement>(null)

  useEffect(() => {
    document.title = 'Sign in · provreport'
  }, [])

  // Someone already signed in (e.g. in another tab) goes straight on.
  useEffect(() => {
    if (me) goNext(next)
  }, [me, next])

  async function onSubmit(e: FormEvent) {
    e.preventDefault()
    setError('')
    const res = await signIn({ school: school.trim(), username: username.trim(), password })
    if (res.error || !res.data) {
      const code = errorCode(res.error)
      setError(
        code === 'UNAUTHENTICATED' || code === 'BAD_USER_INPUT' || code === 'NOT_FOUND'
          ? 'The school, username or password is not right. Check them and try again.'
          : describeError(res.error),
      )
      setPassword('')
      queueMicrotask(() => errorRef.current?.focus())
      return
    }
    try {
      localStorage.setItem(LAST_SCHOOL, school.trim())
    } catch {
      // Storage may be disabled; remembering the school is only a convenience.
    }
    restart()
    goNext(next)
  }

  return (
    <main id="main" className="signin">
      <form className="signin-card" onSubmit={onSubmit} aria-labelledby={`${id}-title`} noValidate={false}>
        <div className="signin-brand" aria-hidden="true">
          <svg viewBox="0 0 24 24" className="brand-mark large">
            <path d="M4 19V5m0 14h16M8 15l3-4 3 2 5-7" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
        </div>
        <h1 id={`${id}-title`}>Sign in to the Provisioning Report</h1>
        {next !== '/' && <p className="muted">Sign in to continue to the page you asked for.</p>}
        {error && (
          <div className="alert error" role="alert" tabIndex={-1} ref={errorRef}>
            {error}
          </div>
        )}
        <div className="field">
          <label htmlFor={`${id}-school`}>School</label>
          <input
            id={`${id}-school`}
            name="school"
            autoComplete="organization"
            required
            value={school}
            onChange={(e) => setSchool(e.target.value)}
            autoFocus={!school}
            placeholder="e.g. riverside-high"
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-username`}>Username</label>
          <input
            id={`${id}-username`}
            name="username"
            autoComplete="username"
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            autoFocus={Boolean(school)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-password`}>Password</label>
          <input
            id={`${id}-password`}
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </div>
        <button type="submit" className="button primary wide" disabled={fetching}>
          {fetching ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  )
}

// goNext continues to the page that asked for sign-in. Pages the server renders itself (the
// GraphiQL playground) need a real page load; the dashboard's own pages do not.
function goNext(next: string) {
  if (/^\/playground(?:[/?#]|$)/.test(next)) window.location.assign(next)
  else navigate(next, { replace: true })
}

function readLastSchool(): string {
  try {
    return localStorage.getItem(LAST_SCHOOL) ?? ''
  } catch {
    return ''
  }
}
