// One person (/users/<id>): who they are, when and by which run their account was provisioned,
// their last sign-in and failed sign-ins of the last 7 days, and their timeline, newest first,
// paged on the server, with new entries arriving live while the page is open.
import { useMemo, useState } from 'react'
import { useQuery } from 'urql'
import { runPath } from '../components/EventTable'
import { ErrorBox, Loading } from '../components/Status'
import { Timeline } from '../components/Timeline'
import { PersonDocument } from '../gql/graphql'
import { daysAgo } from '../lib/changes'
import { errorCode } from '../lib/errors'
import { formatInt } from '../lib/format'
import { Link, useLocation } from '../lib/router'
import { formatDateTime } from '../lib/time'
import { useSession } from '../session'

const ROLE_WORDS: Record<string, string> = {
  ADMIN: 'Dashboard administrator',
  VIEWER: 'Dashboard viewer',
  NONE: 'No dashboard access',
}

/** PersonPage shows the user with the given ID. */
export default function PersonPage({ id }: { id: string }) {
  const { school } = useSession()
  const tz = school?.timezone ?? 'UTC'
  const { search } = useLocation()
  // The 7 days are counted from when the page opened, so the figure does not drift while it is read.
  const [since] = useState(() => daysAgo(new Date(), 7))
  const [res, refetch] = useQuery({ query: PersonDocument, variables: { id, since } })
  const node = res.data?.node
  const user = node && 'failedSignInsSince' in node ? node : null
  const notFound = (res.data && !user && !res.error) || errorCode(res.error) === 'NOT_FOUND'
  const params = useMemo(() => new URLSearchParams(search), [search])
  const name = user ? user.displayName || user.username : ''

  return (
    <section className="page person-page" aria-labelledby="person-title">
      <Link to="/" className="back-link">
        ‹ Provisioning Report
      </Link>
      {res.fetching && !res.data ? (
        <>
          <h1 id="person-title">Person</h1>
          <Loading label="Loading the person…" />
        </>
      ) : notFound ? (
        <>
          <h1 id="person-title">Person not found</h1>
          <div className="card">
            <p>
              There is nobody with this address at your school. <Link to="/people">See People</Link>.
            </p>
          </div>
        </>
      ) : res.error ? (
        <>
          <h1 id="person-title">Person</h1>
          <ErrorBox error={res.error} title="Couldn't load the person" onRetry={() => refetch({ requestPolicy: 'network-only' })} />
        </>
      ) : user ? (
        <>
          <div className="page-head">
            <div>
              <h1 id="person-title">{name}</h1>
              <p className="page-sub">
                {user.username}
                {user.email && ` · ${user.email}`} · {ROLE_WORDS[user.role] ?? user.role}
              </p>
            </div>
            <div className="page-actions">
              <Link to={`/?user=${encodeURIComponent(user.id)}&userName=${encodeURIComponent(name)}&all=1`} className="button secondary">
                Their events on the report
              </Link>
            </div>
          </div>
          <div className="card">
            <dl className="facts person-facts">
              <div>
                <dt>Provisioned</dt>
                <dd>
                  {user.provisionedAt ? (
                    <>
                      {formatDateTime(user.provisionedAt, tz, false)}
                      {user.provisionedBy && (
                        <span className="cell-sub">
                          by{' '}
                          <Link to={runPath(user.provisionedBy.id)}>
                            {user.provisionedBy.syncProfile?.name ?? user.provisionedBy.typeName}
                          </Link>
                        </span>
                      )}
                    </>
                  ) : (
                    <span className="muted">No run has reported adding this account</span>
                  )}
                </dd>
              </div>
              <div>
                <dt>Last sign-in</dt>
                <dd>{user.lastSignInAt ? formatDateTime(user.lastSignInAt, tz, false) : <span className="muted">Never signed in</span>}</dd>
              </div>
              <div className={user.failedSignInsSince > 0 ? 'alerting' : undefined}>
                <dt>Failed sign-ins, last 7 days</dt>
                <dd>{formatInt(user.failedSignInsSince)}</dd>
              </div>
              <div>
                <dt>First seen</dt>
                <dd>{user.firstSeenAt ? formatDateTime(user.firstSeenAt, tz, false) : <span className="muted">—</span>}</dd>
              </div>
            </dl>
          </div>
          <Timeline userID={user.id} timeZone={tz} params={params} basePath={`/users/${encodeURIComponent(user.id)}`} onNew={() => refetch({ requestPolicy: 'network-only' })} />
        </>
      ) : null}
    </section>
  )
}
