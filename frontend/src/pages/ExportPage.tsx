// One export: the page the "your report is ready" email links to. It shows the status, what
// the export holds, and the download link; a failed export says why and offers "Try again".
import { useCallback, useState } from 'react'
import { useMutation, useQuery } from 'urql'
import { StatusBadge, describeFilter, isPending, useLiveExport, usePollWhile } from '../components/ExportBits'
import { ErrorBox, Loading } from '../components/Status'
import { ExportDocument, RetryExportDocument } from '../gql/graphql'
import { describeError, errorCode } from '../lib/errors'
import { formatBytes, formatInt } from '../lib/format'
import { Link } from '../lib/router'
import { formatDateTime } from '../lib/time'
import { useSession } from '../session'

/** ExportPage shows the export with the given ID. */
export default function ExportPage({ id }: { id: string }) {
  const { school, me } = useSession()
  const tz = school?.timezone ?? 'UTC'
  const [res, refetch] = useQuery({ query: ExportDocument, variables: { id } })
  const exp = useLiveExport(res.data?.export)
  const poll = useCallback(() => refetch({ requestPolicy: 'network-only' }), [refetch])
  usePollWhile(Boolean(exp && isPending(exp.status)), poll)
  const [{ fetching: retrying }, retry] = useMutation(RetryExportDocument)
  const [retryError, setRetryError] = useState('')

  // A null export beside an error is a server failure, not a missing export: the error (with its
  // request ID) is shown instead.
  const notFound = (res.data && !res.data.export && !res.error) || errorCode(res.error) === 'NOT_FOUND'

  return (
    <section className="page narrow" aria-labelledby="export-title">
      <Link to="/exports" className="back-link">
        ‹ All exports
      </Link>
      <h1 id="export-title">Provisioning Report export</h1>
      {res.fetching && !res.data ? (
        <Loading label="Loading the export…" />
      ) : notFound ? (
        <div className="card">
          <p>
            This export doesn't exist, or it belongs to someone else. Exports can only be downloaded by the person who requested
            them. <Link to="/exports">See your exports</Link>.
          </p>
        </div>
      ) : res.error ? (
        <ErrorBox error={res.error} title="Couldn't load the export" onRetry={() => refetch({ requestPolicy: 'network-only' })} />
      ) : exp ? (
        <>
          <div className="card">
            <div className="page-head">
              <h2>
                Status: <StatusBadge status={exp.status} />
              </h2>
            </div>
            {exp.status === 'READY' && exp.downloadURL && (
              <p>
                <a className="download-link" href={exp.downloadURL} download={exp.fileName || true}>
                  Download the report (CSV, {formatBytes(exp.byteSize)})
                </a>
              </p>
            )}
            {isPending(exp.status) && (
              <p role="status">
                The file is being prepared. This page updates by itself, and an email will go to {exp.email || me?.email || 'you'} when it is
                ready.
              </p>
            )}
            {exp.status === 'EXPIRED' && (
              <p>This download has expired. Request a new one with Download on the report.</p>
            )}
            {exp.status === 'FAILED' && (
              <div className="alert error" role="alert">
                <p>
                  <strong>The export failed.</strong> {exp.error || 'No reason was given.'}
                </p>
                <button
                  type="button"
                  className="button primary"
                  disabled={retrying}
                  onClick={async () => {
                    setRetryError('')
                    const r = await retry({ id: exp.id })
                    if (r.error) setRetryError(describeError(r.error))
                  }}
                >
                  {retrying ? 'Trying again…' : 'Try again'}
                </button>
                {retryError && <p>{retryError}</p>}
              </div>
            )}
            <dl className="summary-list">
              <dt>Requested</dt>
              <dd>{formatDateTime(exp.requestedAt, tz)}</dd>
              {exp.finishedAt && (
                <>
                  <dt>Finished</dt>
                  <dd>{formatDateTime(exp.finishedAt, tz)}</dd>
                </>
              )}
              <dt>Rows</dt>
              <dd>{exp.rowCount == null ? '—' : formatInt(exp.rowCount)}</dd>
              <dt>Size</dt>
              <dd>{formatBytes(exp.byteSize)}</dd>
              <dt>Expires</dt>
              <dd>{exp.expiresAt ? formatDateTime(exp.expiresAt, tz) : '—'}</dd>
            </dl>
          </div>
          <div className="card">
            <h2>What it contains</h2>
            <ul>
              {describeFilter(exp.filter, tz).map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          </div>
        </>
      ) : null}
    </section>
  )
}
