// Sign in with the school's own accounts (a button per single sign-on provider, once the school is
// filled in) or with school, username and password; afterwards return to the page that asked (?next=).
import { useEffect, useId, useRef, useState, type FormEvent } from 'react'
import { useMutation, useQuery } from 'urql'
import { SignInDocument, SignInOptionsDocument } from '../gql/graphql'
import { describeError, errorCode } from '../lib/errors'
import { navigate, safeNext, useLocation } from '../lib/router'
import { useDebounced } from '../lib/useDebounced'
import { useSession } from '../session'

const LAST_SCHOOL = 'provreport.school'

/** SignInPage is the only page a signed-out visitor sees. */
export function SignInPage() {
  const { search } = useLocation()
  const params = new URLSearchParams(search)
  const next = safeNext(params.get('next'))
  const refusal = params.get('sso_error')
  const { me, restart } = useSession()
  const [school, setSchool] = useState(() => params.get('school') ?? readLastSchool())
  const slug = useDebounced(school.trim().toLowerCase(), 300)
  const [options] = useQuery({
    query: SignInOptionsDocument,
    variables: { school: slug },
    pause: !slug,
  })
  const current = options.data && slug === school.trim().toLowerCase() ? options.data.signInOptions : undefined
  const providers = current?.providers ?? []
  const passwords = current?.passwordSignIn ?? true
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
    const res = await signIn({
      school: school.trim(),
      username: username.trim(),
      password,
    })
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
    rememberSchool(school)
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
        {(error || refusal) && (
          <div className="alert error" role="alert" tabIndex={-1} ref={errorRef}>
            {error || refusalMessage(refusal ?? '')}
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
        {providers.length > 0 && (
          <div className="sso-buttons" aria-label="Sign in with your school account">
            {providers.map((p) => (
              <a
                key={p.id}
                className="button secondary wide"
                href={`/auth/oidc/start?${new URLSearchParams({ school: slug, provider: p.id, next }).toString()}`}
                onClick={() => rememberSchool(school)}
              >
                Sign in with {p.name}
              </a>
            ))}
          </div>
        )}
        {providers.length > 0 && passwords && <p className="or-divider muted">or with your username and password</p>}
        {passwords && (
          <>
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
          </>
        )}
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

function rememberSchool(school: string) {
  try {
    localStorage.setItem(LAST_SCHOOL, school.trim())
  } catch {
    // Storage may be disabled; remembering the school is only a convenience.
  }
}

/** refusalMessage says why a single sign-on was refused, without telling which accounts exist. */
function refusalMessage(code: string): string {
  switch (code) {
    case 'expired':
      return 'That sign-in link has expired or was already used. Start again with the button below.'
    case 'cancelled':
      return 'The sign-in was cancelled at your school account. Start again when you are ready.'
    case 'invalid':
      return "Your school account's answer could not be verified, so you were not signed in. Try again; if it keeps happening, tell your school admin."
    case 'unverified_email':
      return 'Your school account says its email address is not verified. Verify it with your account provider, then try again.'
    case 'domain':
      return "Your account's email domain is not one this school allows. Sign in with your school account, not a personal one."
    case 'no_access':
      return "Your school account does not give you access to this school's report. Ask a school admin to give you access."
    case 'not_configured':
      return 'Single sign-on is not set up on this server: its administrator must set PROVREPORT_SECRET_KEY.'
    case 'unavailable':
      return "The school's sign-in provider could not be reached or is no longer set up. Try again later, or ask a school admin."
    case 'locked':
      return 'Too many failed sign-ins from here. Wait a few minutes, then try again.'
    default:
      return 'The sign-in did not complete. Try again.'
  }
}

function readLastSchool(): string {
  try {
    return localStorage.getItem(LAST_SCHOOL) ?? ''
  } catch {
    return ''
  }
}
