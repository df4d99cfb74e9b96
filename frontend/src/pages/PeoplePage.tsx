// People: how many of the accounts each sync profile provisioned since a date have signed in,
// and who has not, as a list that pages and downloads as CSV. "Since" is a calendar day in the
// school's zone (the last 30 days by default); the view lives in the URL (?since=&profile=).
import { useId, useMemo, useState } from 'react'
import { useClient, useQuery, type OperationResult } from 'urql'
import { userPath } from '../components/EventTable'
import { Empty, ErrorBox, Loading } from '../components/Status'
import { AdoptionDocument, FilterOptionsDocument, NeverSignedInDocument, type NeverSignedInQuery } from '../gql/graphql'
import { percent, sinceDefault, sinceInstant } from '../lib/changes'
import { saveFile, toCSV } from '../lib/csv'
import { describeError } from '../lib/errors'
import { formatInt, plural } from '../lib/format'
import { Link, navigate, useLocation } from '../lib/router'
import { formatDateTime } from '../lib/time'
import { useSession } from '../session'

const PAGE = 50
/** CSV_PAGE is how many people one request of the CSV download asks for (the server's maximum). */
const CSV_PAGE = 500

/** NEVER_SIGNED_IN_HEADER is the never-signed-in CSV's columns. */
export const NEVER_SIGNED_IN_HEADER = ['username', 'display_name', 'email', 'provisioned_at', 'sync_profile'] as const

/** PeoplePage shows adoption per sync profile and the never-signed-in list. */
export default function PeoplePage() {
  const id = useId()
  const client = useClient()
  const { school } = useSession()
  const tz = school?.timezone ?? 'UTC'
  const { search } = useLocation()
  const params = useMemo(() => new URLSearchParams(search), [search])
  const defaultDay = useMemo(() => sinceDefault(new Date(), tz).slice(0, 10), [tz])
  const sinceDay = /^\d{4}-\d{2}-\d{2}$/.test(params.get('since') ?? '') ? params.get('since')! : defaultDay
  const since = sinceInstant(`${sinceDay}T00:00`, tz)
  const profileID = params.get('profile') ?? ''
  const [cursors, setCursors] = useState<string[]>([])
  const [csv, setCSV] = useState<{ busy: boolean; message: string; error: boolean }>({ busy: false, message: '', error: false })

  function go(change: { since?: string; profile?: string }) {
    const q = new URLSearchParams(params)
    if (change.since !== undefined) {
      if (change.since && change.since !== defaultDay) q.set('since', change.since)
      else q.delete('since')
    }
    if (change.profile !== undefined) {
      if (change.profile) q.set('profile', change.profile)
      else q.delete('profile')
    }
    setCursors([])
    const qs = q.toString()
    navigate(`/people${qs ? `?${qs}` : ''}`, { replace: true })
  }

  const [profiles] = useQuery({ query: FilterOptionsDocument })
  const profileList = profiles.data?.syncProfiles ?? []
  const profileName = profileList.find((p) => p.id === profileID)?.name

  const [list, refetchList] = useQuery({
    query: NeverSignedInDocument,
    variables: { first: PAGE, after: cursors.at(-1) ?? null, syncProfileID: profileID || null, since },
    pause: !since,
  })
  const conn = list.data?.neverSignedIn
  const people = (conn?.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []))

  async function downloadCSV() {
    setCSV({ busy: true, message: '', error: false })
    const rows: string[][] = []
    let after: string | null = null
    try {
      for (;;) {
        const res: OperationResult<NeverSignedInQuery> = await client
          .query(NeverSignedInDocument, { first: CSV_PAGE, after, syncProfileID: profileID || null, since }, { requestPolicy: 'network-only' })
          .toPromise()
        if (res.error || !res.data) throw new Error(describeError(res.error))
        const page: NeverSignedInQuery['neverSignedIn'] = res.data.neverSignedIn
        for (const e of page.edges ?? []) {
          const u = e?.node
          if (u) rows.push([u.username, u.displayName ?? '', u.email ?? '', u.provisionedAt ?? '', profileName ?? 'All sync profiles'])
        }
        if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) break
        after = page.pageInfo.endCursor
      }
      const name = `never-signed-in-${profileName ? slug(profileName) + '-' : ''}since-${sinceDay}.csv`
      saveFile(toCSV(NEVER_SIGNED_IN_HEADER, rows), name)
      setCSV({ busy: false, message: `Downloaded ${plural(rows.length, 'person', 'people')} as ${name}.`, error: false })
    } catch (err) {
      setCSV({ busy: false, message: `Couldn't download the list. ${(err as Error).message}`, error: true })
    }
  }

  return (
    <section className="page people-page" aria-labelledby="people-title">
      <div className="page-head">
        <div>
          <h1 id="people-title">People</h1>
          <p className="page-sub">Accounts that sync runs added on or after the chosen day, and whether they have signed in since.</p>
        </div>
        <div className="page-actions">
          <div className="field since-field">
            <label htmlFor={`${id}-since`}>Provisioned since</label>
            <input
              id={`${id}-since`}
              type="date"
              value={sinceDay}
              onChange={(e) => {
                if (/^\d{4}-\d{2}-\d{2}$/.test(e.target.value)) go({ since: e.target.value })
              }}
            />
          </div>
        </div>
      </div>

      <div className="table-card adoption-card">
        {profiles.error ? (
          <ErrorBox error={profiles.error} title="Couldn't load the sync profiles" />
        ) : !profiles.data ? (
          <Loading label="Loading sync profiles…" />
        ) : (
          <div className="table-scroll">
            <table className="list-table adoption phone-cards">
              <caption className="visually-hidden">Adoption per sync profile since {sinceDay}</caption>
              <thead>
                <tr>
                  <th scope="col">Sync Profile</th>
                  <th scope="col" className="num">
                    Provisioned
                  </th>
                  <th scope="col" className="num">
                    Signed in
                  </th>
                  <th scope="col" className="num">
                    Never signed in
                  </th>
                  <th scope="col">Adoption</th>
                </tr>
              </thead>
              <tbody>
                <AdoptionRow label="All sync profiles" profileID="" since={since} selected={!profileID} onSelect={() => go({ profile: '' })} />
                {profileList.map((p) => (
                  <AdoptionRow key={p.id} label={p.name} profileID={p.id} since={since} selected={p.id === profileID} onSelect={() => go({ profile: p.id })} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>

      <div className="table-card never-card" aria-labelledby={`${id}-never`}>
        <div className="page-head card-head">
          <div>
            <h2 id={`${id}-never`}>Never signed in</h2>
            <p className="page-sub">
              {profileName ?? 'All sync profiles'} · provisioned since {formatDateTime(since ?? new Date(), tz, false).replace(/,? \d{2}:\d{2}.*/, '')}
            </p>
          </div>
          <div className="page-actions">
            <button type="button" className="button secondary" onClick={downloadCSV} disabled={csv.busy || !conn || conn.totalCount === 0}>
              <svg viewBox="0 0 16 16" aria-hidden="true" className="button-icon">
                <path d="M8 2v8M4.5 6.5L8 10l3.5-3.5M3 13h10" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
              </svg>
              {csv.busy ? 'Preparing…' : 'Download CSV'}
            </button>
          </div>
        </div>
        <div role="status" aria-live="polite" className="download-message">
          {csv.message && <p className={csv.error ? 'alert error' : 'alert success'}>{csv.message}</p>}
        </div>
        {list.error ? (
          <ErrorBox error={list.error} title="Couldn't load the list" onRetry={() => refetchList({ requestPolicy: 'network-only' })} />
        ) : !conn ? (
          <Loading label="Loading the list…" />
        ) : people.length === 0 ? (
          <Empty title="Everyone has signed in">
            <p>Every account provisioned since this day has signed in at least once, or none was provisioned.</p>
          </Empty>
        ) : (
          <>
            <div className="table-scroll">
              <table className="list-table never-list phone-cards">
                <caption className="visually-hidden">People provisioned since {sinceDay} who have never signed in</caption>
                <thead>
                  <tr>
                    <th scope="col">Username</th>
                    <th scope="col">Name</th>
                    <th scope="col">Email</th>
                    <th scope="col">Provisioned</th>
                  </tr>
                </thead>
                <tbody>
                  {people.map((u) => (
                    <tr key={u.id}>
                      <td data-label="Username">
                        <Link to={userPath(u.id)}>{u.username}</Link>
                      </td>
                      <td data-label="Name">{u.displayName && u.displayName !== u.username ? u.displayName : <span className="muted">—</span>}</td>
                      <td data-label="Email" className="card-wide">{u.email || <span className="muted">—</span>}</td>
                      <td data-label="Provisioned" className="card-wide">
                        {u.provisionedAt ? formatDateTime(u.provisionedAt, tz, false) : <span className="muted">—</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <nav className="pager bottom" aria-label="Pages">
              <span className="pager-count">
                {conn.totalCount === 1 ? '1 person' : `${formatInt(conn.totalCount)} people`}
                {people.length < conn.totalCount && <span className="muted"> · showing {formatInt(people.length)}</span>}
              </span>
              <span className="pager-buttons">
                <button type="button" className="button secondary small" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
                  <span aria-hidden="true">‹ </span>Previous
                </button>
                <button
                  type="button"
                  className="button secondary small"
                  disabled={!conn.pageInfo.hasNextPage || !conn.pageInfo.endCursor}
                  onClick={() => setCursors((c) => [...c, conn.pageInfo.endCursor!])}
                >
                  Next<span aria-hidden="true"> ›</span>
                </button>
              </span>
            </nav>
          </>
        )}
      </div>
    </section>
  )
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')
}

/** AdoptionRow is one sync profile's figures; a click shows its never-signed-in list. */
function AdoptionRow({
  label,
  profileID,
  since,
  selected,
  onSelect,
}: {
  label: string
  profileID: string
  since: string | null
  selected: boolean
  onSelect: () => void
}) {
  const [res] = useQuery({ query: AdoptionDocument, variables: { syncProfileID: profileID || null, since }, pause: !since })
  const a = res.data?.adoption
  return (
    <tr className={selected ? 'selected' : undefined} aria-selected={selected}>
      <th scope="row" data-label="Sync Profile">
        <button type="button" className="link-button" aria-pressed={selected} onClick={onSelect}>
          {label}
        </button>
      </th>
      {res.error ? (
        <td colSpan={4} className="muted">
          {describeError(res.error)}
        </td>
      ) : (
        <>
          <td className="num" data-label="Provisioned">
            {a ? formatInt(a.provisioned) : '…'}
          </td>
          <td className="num" data-label="Signed in">
            {a ? formatInt(a.signedIn) : '…'}
          </td>
          <td className={a && a.neverSignedIn > 0 ? 'num never' : 'num'} data-label="Never signed in">
            {a ? formatInt(a.neverSignedIn) : '…'}
          </td>
          <td data-label="Adoption" className="col-adoption">
            {a && (
              <span className="adoption-bar" title={`${percent(a.signedIn, a.provisioned)} signed in`}>
                {/* An SVG bar: a style attribute would need style-src 'unsafe-inline'. */}
                <svg className="adoption-meter" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true">
                  <rect className="meter-track" x="0" y="0" width="100" height="8" rx="4" />
                  <rect className="meter-fill" x="0" y="0" width={a.provisioned ? (a.signedIn / a.provisioned) * 100 : 0} height="8" rx="4" />
                </svg>
                {percent(a.signedIn, a.provisioned)}
              </span>
            )}
          </td>
        </>
      )}
    </tr>
  )
}
