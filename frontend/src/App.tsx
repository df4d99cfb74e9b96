// The dashboard shell: header, routes and the sign-in guard. Secondary pages load lazily so the
// report page's first load stays small.
import { lazy, Suspense, useEffect, type ReactNode } from 'react'
import { Header } from './components/Header'
import { Loading, ErrorBox } from './components/Status'
import { matchPath, navigate, useLocation } from './lib/router'
import { ReportPage } from './pages/ReportPage'
import { SignInPage } from './pages/SignInPage'
import { signInPath, useSession } from './session'

const ExportsPage = lazy(() => import('./pages/ExportsPage'))
const ExportPage = lazy(() => import('./pages/ExportPage'))
const TokensPage = lazy(() => import('./pages/TokensPage'))
const SignInSettingsPage = lazy(() => import('./pages/SignInSettingsPage'))
const HealthPage = lazy(() => import('./pages/HealthPage'))
const RunPage = lazy(() => import('./pages/RunPage'))
const PersonPage = lazy(() => import('./pages/PersonPage'))
const PeoplePage = lazy(() => import('./pages/PeoplePage'))

interface Route {
  path: string
  title: string
  render: (params: Record<string, string>) => ReactNode
  adminOnly?: boolean
}

const routes: Route[] = [
  { path: '/', title: 'Provisioning Report', render: () => <ReportPage /> },
  { path: '/health', title: 'Sync health', render: () => <HealthPage /> },
  { path: '/exports', title: 'Exports', render: () => <ExportsPage /> },
  { path: '/exports/:id', title: 'Export', render: (p) => <ExportPage id={p.id} /> },
  { path: '/events/:id', title: 'Run', render: (p) => <RunPage key={p.id} id={p.id} /> },
  { path: '/users/:id', title: 'Person', render: (p) => <PersonPage key={p.id} id={p.id} /> },
  { path: '/people', title: 'People', render: () => <PeoplePage /> },
  { path: '/tokens', title: 'API tokens', render: () => <TokensPage />, adminOnly: true },
  { path: '/sign-in-settings', title: 'Sign-in settings', render: () => <SignInSettingsPage />, adminOnly: true },
  // The server serves the playground itself to admins; the dashboard sees this address only when
  // the server refused it (a viewer, 403) or after an in-app navigation, which must load the real page.
  { path: '/playground', title: 'Playground', render: () => <FullPageLoad />, adminOnly: true },
]

/** App picks the page for the current location. */
export function App() {
  const location = useLocation()
  const { me, error } = useSession()

  if (location.pathname === '/signin') {
    return <SignInPage />
  }

  let route: Route | undefined
  let params: Record<string, string> = {}
  for (const r of routes) {
    const m = matchPath(r.path, location.pathname)
    if (m) {
      route = r
      params = m
      break
    }
  }

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header />
      <main id="main" tabIndex={-1}>
        {me === undefined ? (
          error ? (
            <ErrorBox error={error} title="Couldn't load your dashboard" onRetry={() => window.location.reload()} />
          ) : (
            <Loading label="Loading your dashboard…" />
          )
        ) : me === null ? (
          <RedirectToSignIn next={location.href} />
        ) : !route ? (
          <NotFound />
        ) : route.adminOnly && me.role !== 'ADMIN' ? (
          <Forbidden />
        ) : (
          <Titled title={route.title}>
            <Suspense fallback={<Loading label="Loading page…" />}>{route.render(params)}</Suspense>
          </Titled>
        )}
      </main>
    </>
  )
}

function Titled({ title, children }: { title: string; children: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · provreport`
  }, [title])
  return <>{children}</>
}

function RedirectToSignIn({ next }: { next: string }) {
  useEffect(() => navigate(signInPath(next), { replace: true }), [next])
  return <Loading label="Redirecting to sign in…" />
}

function NotFound() {
  return (
    <section className="page narrow">
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <a href="/">Go to the Provisioning Report</a>.
      </p>
    </section>
  )
}

function FullPageLoad() {
  useEffect(() => window.location.reload(), [])
  return <Loading label="Loading the playground…" />
}

function Forbidden() {
  return (
    <section className="page narrow">
      <h1>Administrators only</h1>
      <p>This page is for school administrators. Ask one if you need access.</p>
    </section>
  )
}
