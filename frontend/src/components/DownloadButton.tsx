// Download: asks the server for a CSV export of the current filter. The file is made in the
// background and a link is emailed, as the product description says; the exports page also has it.
import { useState } from 'react'
import { useMutation } from 'urql'
import { RequestExportDocument, type ReportFilter } from '../gql/graphql'
import { describeError } from '../lib/errors'
import { Link } from '../lib/router'

/** DownloadButton requests an export and says where it will arrive. */
export function DownloadButton({ filter, email }: { filter: ReportFilter; email: string }) {
  const [{ fetching }, request] = useMutation(RequestExportDocument)
  const [outcome, setOutcome] = useState<{ ok: true; id: string } | { ok: false; message: string } | null>(null)

  async function onClick() {
    setOutcome(null)
    const res = await request({ filter })
    if (res.error || !res.data) setOutcome({ ok: false, message: describeError(res.error) })
    else setOutcome({ ok: true, id: res.data.requestExport.id })
  }

  return (
    <div className="download">
      <button type="button" className="button primary" onClick={onClick} disabled={fetching}>
        <svg viewBox="0 0 16 16" aria-hidden="true" className="button-icon">
          <path d="M8 2v8M4.5 6.5L8 10l3.5-3.5M3 13h10" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        {fetching ? 'Requesting…' : 'Download'}
      </button>
      <div className="download-message" role="status" aria-live="polite">
        {outcome?.ok && (
          <p className="alert success">
            Your report is being prepared. An email with the download link is on its way to <strong>{email}</strong>. You can
            also follow it on <Link to={`/exports/${encodeURIComponent(outcome.id)}`}>the export's page</Link>.
          </p>
        )}
        {outcome && !outcome.ok && <p className="alert error">Couldn't request the download. {outcome.message}</p>}
      </div>
    </div>
  )
}
