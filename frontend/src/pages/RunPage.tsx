// One sync run on its own page (/events/<id>): what it counted, when and how long it ran, its
// flags and problems, and the accounts it changed, filterable by action, searchable by name,
// each expandable to its attribute changes, paged on the server and downloadable as CSV.
import { useMemo } from 'react'
import { useQuery } from 'urql'
import { isRun, runPath, userPath } from '../components/EventTable'
import { EventBadge } from '../components/OutcomeIcon'
import { RunChanges } from '../components/RunChanges'
import { ErrorBox, Loading } from '../components/Status'
import { RunDocument } from '../gql/graphql'
import { RUN_FLAG_WORDS, runFlagLabel } from '../lib/changes'
import { errorCode } from '../lib/errors'
import { formatInt } from '../lib/format'
import { Link, useLocation } from '../lib/router'
import { formatDateTime, formatDuration } from '../lib/time'
import { useSession } from '../session'

const COUNTS = ['processed', 'added', 'updated', 'deleted', 'disabled', 'errors'] as const

/** RunPage shows the event with the given ID. */
export default function RunPage({ id }: { id: string }) {
  const { school } = useSession()
  const tz = school?.timezone ?? 'UTC'
  const { search } = useLocation()
  const [res, refetch] = useQuery({ query: RunDocument, variables: { id } })
  const node = res.data?.node
  const ev = node && 'changesRecorded' in node ? (node as Extract<typeof node, { changesRecorded: number }>) : null
  const notFound = (res.data && !ev && !res.error) || errorCode(res.error) === 'NOT_FOUND'
  const params = useMemo(() => new URLSearchParams(search), [search])

  return (
    <section className="page run-page" aria-labelledby="run-title">
      <Link to="/" className="back-link">
        ‹ Provisioning Report
      </Link>
      {res.fetching && !res.data ? (
        <>
          <h1 id="run-title">Run</h1>
          <Loading label="Loading the run…" />
        </>
      ) : notFound ? (
        <>
          <h1 id="run-title">Run not found</h1>
          <div className="card">
            <p>
              There is no run with this address at your school. It may have been removed by retention. <Link to="/">Go to the report</Link>.
            </p>
          </div>
        </>
      ) : res.error ? (
        <>
          <h1 id="run-title">Run</h1>
          <ErrorBox error={res.error} title="Couldn't load the run" onRetry={() => refetch({ requestPolicy: 'network-only' })} />
        </>
      ) : ev ? (
        <>
          <div className="page-head">
            <div>
              <h1 id="run-title" className="run-title">
                <EventBadge type={ev.type} name={ev.typeName} errors={ev.errors} />
                {ev.syncProfile && <span className="run-profile">{ev.syncProfile.name}</span>}
              </h1>
              <p className="page-sub">
                Finished {formatDateTime(ev.finishedAt, tz)} · took {formatDuration(ev.startedAt, ev.finishedAt)}
              </p>
            </div>
          </div>

          <div className="card run-facts">
            <dl className="facts">
              <div>
                <dt>Started</dt>
                <dd>{formatDateTime(ev.startedAt, tz)}</dd>
              </div>
              <div>
                <dt>Finished</dt>
                <dd>{formatDateTime(ev.finishedAt, tz)}</dd>
              </div>
              <div>
                <dt>Duration</dt>
                <dd>{formatDuration(ev.startedAt, ev.finishedAt)}</dd>
              </div>
              {ev.syncProfile && (
                <div>
                  <dt>Sync Profile</dt>
                  <dd>
                    <Link to={`/?profile=${encodeURIComponent(ev.syncProfile.id)}`}>{ev.syncProfile.name}</Link>
                  </dd>
                </div>
              )}
              {ev.user && (
                <div>
                  <dt>{isRun(ev) ? 'Uploaded by' : 'User'}</dt>
                  <dd>
                    <Link to={userPath(ev.user.id)}>
                      {ev.user.displayName && ev.user.displayName !== ev.user.username
                        ? `${ev.user.displayName} (${ev.user.username})`
                        : ev.user.username}
                    </Link>
                  </dd>
                </div>
              )}
              {ev.service && (
                <div>
                  <dt>Service</dt>
                  <dd>{ev.service}</dd>
                </div>
              )}
              <div>
                <dt>Recorded</dt>
                <dd>{formatDateTime(ev.recordedAt, tz)}</dd>
              </div>
            </dl>
            <dl className="facts counts" aria-label="Counts">
              {COUNTS.map((k) => (
                <div key={k} className={ev[k] === 0 ? 'zero' : k}>
                  <dt>{k[0].toUpperCase() + k.slice(1)}</dt>
                  <dd>{formatInt(ev[k])}</dd>
                </div>
              ))}
            </dl>
            {ev.flags.length > 0 && (
              <div className="run-flags" role="note" aria-label="Flags">
                <h2 className="visually-hidden">Flags</h2>
                <ul className="flag-list">
                  {ev.flags.map((f) => (
                    <li key={f} className="flag">
                      <strong>{runFlagLabel(f)}</strong>
                      {RUN_FLAG_WORDS[f] && <span className="flag-hint"> {RUN_FLAG_WORDS[f].hint}</span>}
                    </li>
                  ))}
                </ul>
              </div>
            )}
            {ev.externalID && (
              <p className="muted small">
                External ID <code>{ev.externalID}</code>
              </p>
            )}
          </div>

          {(ev.details || ev.problems.length > 0) && (
            <div className="card">
              {ev.details && (
                <>
                  <h2>Details</h2>
                  <pre className="details-text">{ev.details}</pre>
                </>
              )}
              {ev.problems.length > 0 && (
                <>
                  <h2>Problems ({formatInt(ev.problems.length)})</h2>
                  <div className="table-scroll problems-scroll">
                    <table className="problems phone-cards">
                      <thead>
                        <tr>
                          <th scope="col" className="num">
                            Line
                          </th>
                          <th scope="col">Field</th>
                          <th scope="col">Message</th>
                        </tr>
                      </thead>
                      <tbody>
                        {ev.problems.map((p, i) => (
                          <tr key={i}>
                            <td className="num" data-label="Line">
                              {p.line}
                            </td>
                            <td data-label="Field">
                              <code>{p.field}</code>
                            </td>
                            <td data-label="Message" className="card-wide">
                              {p.message}
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                </>
              )}
            </div>
          )}

          <RunChanges event={ev} params={params} basePath={runPath(ev.id)} />
        </>
      ) : null}
    </section>
  )
}
