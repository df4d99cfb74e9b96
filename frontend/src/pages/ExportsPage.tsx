// Your exports: every CSV download you requested, with live status while they are made.
import { useCallback, useState } from 'react'
import { useMutation, useQuery } from 'urql'
import { StatusBadge, describeFilter, isPending, useLiveExport, usePollWhile } from '../components/ExportBits'
import { Empty, ErrorBox, Loading } from '../components/Status'
import { ExportsDocument, RetryExportDocument, type ExportFieldsFragment } from '../gql/graphql'
import { describeError } from '../lib/errors'
import { formatBytes, formatInt, formatLifetime } from '../lib/format'
import { Link } from '../lib/router'
import { formatDateTime } from '../lib/time'
import { useSession } from '../session'

const PAGE = 25

/** ExportsPage lists the signed-in user's exports, newest first. */
export default function ExportsPage() {
  const [after, setAfter] = useState<string[]>([])
  const [res, refetch] = useQuery({ query: ExportsDocument, variables: { first: PAGE, after: after.at(-1) ?? null } })
  const conn = res.data?.exports
  const rows = (conn?.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []))
  const poll = useCallback(() => refetch({ requestPolicy: 'network-only' }), [refetch])
  usePollWhile(
    rows.some((e) => isPending(e.status)),
    poll,
  )

  return (
    <section className="page" aria-labelledby="exports-title">
      <div className="page-head">
        <div>
          <h1 id="exports-title">Exports</h1>
          <p className="page-sub">
            CSV downloads of the Provisioning Report that you asked for.
            {res.data && ` Links expire ${formatLifetime(res.data.exportLinkLifetime)} after the file is ready.`}
          </p>
        </div>
        <Link to="/" className="button secondary">
          Back to the report
        </Link>
      </div>
      <div className="table-card">
        {res.error ? (
          <ErrorBox error={res.error} title="Couldn't load your exports" onRetry={() => refetch({ requestPolicy: 'network-only' })} />
        ) : !conn ? (
          <Loading label="Loading exports…" />
        ) : rows.length === 0 ? (
          <Empty title="No exports yet">
            <p>
              Use <strong>Download</strong> on <Link to="/">the report</Link> to get its events as a CSV file.
            </p>
          </Empty>
        ) : (
          <>
            <div className="table-scroll">
              <table className="list-table exports-list">
                <caption className="visually-hidden">Your exports, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Requested</th>
                    <th scope="col">Events</th>
                    <th scope="col">Status</th>
                    <th scope="col" className="num">
                      Rows
                    </th>
                    <th scope="col" className="num">
                      Size
                    </th>
                    <th scope="col">Expires</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((e) => (
                    <ExportRow key={e.id} exp={e} />
                  ))}
                </tbody>
              </table>
            </div>
            <nav className="pager bottom" aria-label="Pages">
              <span className="pager-count">{conn.totalCount === 1 ? '1 export' : `${formatInt(conn.totalCount)} exports`}</span>
              <span className="pager-buttons">
                <button
                  type="button"
                  className="button secondary small"
                  disabled={after.length === 0}
                  onClick={() => setAfter((a) => a.slice(0, -1))}
                >
                  ‹ Newer
                </button>
                <button
                  type="button"
                  className="button secondary small"
                  disabled={!conn.pageInfo.hasNextPage || !conn.pageInfo.endCursor}
                  onClick={() => setAfter((a) => [...a, conn.pageInfo.endCursor!])}
                >
                  Older ›
                </button>
              </span>
            </nav>
          </>
        )}
      </div>
    </section>
  )
}

function ExportRow({ exp: initial }: { exp: ExportFieldsFragment }) {
  const { school } = useSession()
  const tz = school?.timezone ?? 'UTC'
  const exp = useLiveExport(initial)!
  const [{ fetching }, retry] = useMutation(RetryExportDocument)
  const [error, setError] = useState('')
  const parts = describeFilter(exp.filter, tz)

  return (
    <tr>
      <td className="col-date" data-label="Requested">
        <Link to={`/exports/${encodeURIComponent(exp.id)}`}>{formatDateTime(exp.requestedAt, tz, false)}</Link>
      </td>
      <td className="col-filter" data-label="Events">
        {parts[0]}
        <span className="cell-sub">{parts.slice(1).join(' · ')}</span>
      </td>
      <td data-label="Status">
        <StatusBadge status={exp.status} />
        {exp.status === 'FAILED' && exp.error && <span className="cell-sub">{exp.error}</span>}
        {error && (
          <span className="cell-sub field-error" role="alert">
            {error}
          </span>
        )}
      </td>
      <td className="num" data-label="Rows">
        {formatInt(exp.rowCount)}
      </td>
      <td className="num" data-label="Size">
        {formatBytes(exp.byteSize)}
      </td>
      <td className="col-date" data-label="Expires">
        {exp.expiresAt ? formatDateTime(exp.expiresAt, tz, false) : '—'}
      </td>
      <td className="col-actions">
        {exp.status === 'READY' && exp.downloadURL ? (
          <a href={exp.downloadURL} className="button secondary small" download={exp.fileName || true}>
            Download CSV
          </a>
        ) : exp.status === 'FAILED' ? (
          <button
            type="button"
            className="button secondary small"
            disabled={fetching}
            onClick={async () => {
              setError('')
              const r = await retry({ id: exp.id })
              if (r.error) setError(describeError(r.error))
            }}
          >
            {fetching ? 'Retrying…' : 'Try again'}
          </button>
        ) : null}
      </td>
    </tr>
  )
}
