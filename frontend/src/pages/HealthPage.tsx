// Sync health: one card per sync profile with its status, when it last ran and last
// succeeded, when the next run is due, its recent runs and a link to its report. Profiles
// that need attention come first.
import { useCallback, useEffect, useMemo, useState } from 'react'
import { useQuery } from 'urql'
import { RunsChart } from '../components/RunsChart'
import { Empty, ErrorBox, Loading } from '../components/Status'
import { ProfileRunsDocument, type SyncHealthQuery, type SyncHealthStatus } from '../gql/graphql'
import { serializeView, DEFAULT_VIEW } from '../lib/filter'
import { attentionSummary, byAttention, FLAG_LABEL, nextRunBy, STATUS_LABEL } from '../lib/health'
import { Link } from '../lib/router'
import { formatDateTime } from '../lib/time'
import { HEALTH_REFRESH_MS, useSyncHealth } from '../lib/useSyncHealth'
import { useSession } from '../session'

type Profile = SyncHealthQuery['syncProfiles'][number]

/** CHART_RUNS is how many recent runs each card draws. */
export const CHART_RUNS = 30

/** profileReportPath opens the report on every run of one profile, idle runs included. */
export function profileReportPath(id: string): string {
  return '/' + serializeView({ ...DEFAULT_VIEW, syncProfileID: id, activeOnly: false })
}

/** HealthPage lists the profiles' health. */
export default function HealthPage() {
  const { school } = useSession()
  // Each card re-reads its runs when the live feed reports one of its profile.
  const [ticks, setTicks] = useState<Record<string, number>>({})
  const onRun = useCallback((id: string) => setTicks((t) => ({ ...t, [id]: (t[id] ?? 0) + 1 })), [])
  const res = useSyncHealth(Boolean(school), onRun)
  // "Late" is judged against a clock that moves with the minute refresh, not on every render.
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), HEALTH_REFRESH_MS)
    return () => clearInterval(t)
  }, [])
  const timeZone = school?.timezone ?? 'UTC'
  const profiles = res.data ? byAttention(res.data.syncProfiles) : undefined
  const summary = profiles ? attentionSummary(profiles.map((p) => p.health.status)) : ''

  return (
    <section className="page health" aria-labelledby="health-title">
      <div className="page-head">
        <div>
          <h1 id="health-title">Sync health</h1>
          <p className="page-sub">
            {profiles && profiles.length > 0 ? summary || 'All syncs healthy' : 'How each sync profile is doing'} · times in{' '}
            {timeZone.replace(/_/g, ' ')}
          </p>
        </div>
      </div>
      {res.error && !res.data ? (
        <ErrorBox error={res.error} title="Couldn't load sync health" onRetry={() => window.location.reload()} />
      ) : !profiles ? (
        <Loading label="Loading sync health…" />
      ) : profiles.length === 0 ? (
        <div className="table-card">
          <Empty title="No sync profiles yet">
            <p>A profile appears here once its first run is recorded.</p>
          </Empty>
        </div>
      ) : (
        <ul className="health-grid" aria-label="Sync profiles">
          {profiles.map((p) => (
            <li key={p.id}>
              <HealthCard profile={p} timeZone={timeZone} tick={ticks[p.id] ?? 0} now={now} />
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

const STATUS_CLASS: Record<SyncHealthStatus, string> = {
  FAILING: 'failing',
  QUIET: 'quiet',
  WARNING: 'warning',
  UNKNOWN: 'unknown',
  HEALTHY: 'healthy',
}

const STATUS_PATH: Record<SyncHealthStatus, string> = {
  FAILING: 'M5 5l6 6M11 5l-6 6',
  QUIET: 'M8 4.5V8l2.5 1.5',
  WARNING: 'M8 4.5v4.5M8 11.6v.01',
  UNKNOWN: 'M6.3 6.2a1.8 1.8 0 1 1 2.4 1.7c-.5.2-.7.6-.7 1.1M8 11.6v.01',
  HEALTHY: 'M4 8.5l2.5 2.5L12 5.5',
}

/** StatusBadge shows a status as colour, an icon and words. */
export function StatusBadge({ status }: { status: SyncHealthStatus }) {
  return (
    <span className={`status-badge ${STATUS_CLASS[status]}`}>
      <svg viewBox="0 0 16 16" aria-hidden="true">
        <circle cx="8" cy="8" r="7.25" className="status-bg" />
        <path d={STATUS_PATH[status]} fill="none" stroke="currentColor" strokeWidth="1.9" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
      {STATUS_LABEL[status]}
    </span>
  )
}

function HealthCard({ profile: p, timeZone, tick, now }: { profile: Profile; timeZone: string; tick: number; now: number }) {
  const h = p.health
  const variables = useMemo(() => ({ filter: { syncProfileID: p.id, activeOnly: false }, first: CHART_RUNS }), [p.id])
  const [runs, reread] = useQuery({ query: ProfileRunsDocument, variables })
  // A tick from the live feed means a new run of this profile: read the runs again rather
  // than the cached ones.
  useEffect(() => {
    if (tick) reread({ requestPolicy: 'network-only' })
  }, [tick, reread])
  const next = nextRunBy(h.lastRunAt, h.expectedEvery)
  const when = (iso: string | null | undefined) => (iso ? formatDateTime(iso, timeZone, false) : 'Never')
  const titleId = `profile-${p.id}`
  const list = (runs.data?.events.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []))
  return (
    <article className={`card health-card ${STATUS_CLASS[h.status]}`} aria-labelledby={titleId}>
      <header className="health-card-head">
        <h2 id={titleId}>{p.name}</h2>
        <StatusBadge status={h.status} />
      </header>
      {h.status === 'QUIET' && h.overdueSince && (
        <p className="health-note">No run since {when(h.lastRunAt)}; overdue since {when(h.overdueSince)}.</p>
      )}
      {h.lastFlags.length > 0 && (
        <p className="health-note">Last run flagged: {h.lastFlags.map((f) => FLAG_LABEL[f]).join(', ')}.</p>
      )}
      <dl className="facts health-facts">
        <div>
          <dt>Last run</dt>
          <dd>{when(h.lastRunAt)}</dd>
        </div>
        <div>
          <dt>Last success</dt>
          <dd>{when(h.lastSuccessAt)}</dd>
        </div>
        <div>
          <dt>Next run expected by</dt>
          <dd>
            {next ? formatDateTime(next, timeZone, false) : p.kind === 'LDAP' ? 'Not known yet' : 'No schedule'}
            {next && next.getTime() < now && <span className="late"> (late)</span>}
          </dd>
        </div>
      </dl>
      <div className="health-chart">
        <span className="health-chart-title">Processed, last {CHART_RUNS} runs</span>
        {runs.error ? (
          <span className="field-error">Couldn't load the runs.</span>
        ) : !runs.data ? (
          <div className="runs-chart placeholder" aria-hidden="true" />
        ) : (
          <RunsChart runs={list} timeZone={timeZone} slots={CHART_RUNS} />
        )}
      </div>
      <Link to={profileReportPath(p.id)} className="health-link">
        Open the report for {p.name}
      </Link>
    </article>
  )
}
