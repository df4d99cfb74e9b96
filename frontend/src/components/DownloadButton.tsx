// Download: asks the server for a CSV export of the current filter. The file is made in the
// background and a link is emailed, as the product description says; the exports page also has it.
import { useState } from 'react'
import { useMutation } from 'urql'
import { RequestExportDocument, type ReportFilter } from '../gql/graphql'
import { describeError } from '../lib/errors'
import { Link } from '../lib/router'

/** DownloadOutcome is what happened to the last Download. */
export type DownloadOutcome = { ok: true; id: string; email: string } | { ok: false; message: string }

interface Props {
  filter: ReportFilter
  /** How many events the filter matches now, or undefined while unknown. */
  count: number | undefined
  /** Set when the filter cannot be exported as it stands (e.g. From after To). */
  disabled?: boolean
  onOutcome: (o: DownloadOutcome | null) => void
}

/**
 * DownloadButton requests an export of the filter and reports the outcome. With no matching
 * events it says so, and asks before sending an email about an empty file.
 */
export function DownloadButton({ filter, count, disabled, onOutcome }: Props) {
  const [{ fetching }, request] = useMutation(RequestExportDocument)
  const [confirming, setConfirming] = useState(false)
  const empty = count === 0

  async function send() {
    setConfirming(false)
    onOutcome(null)
    const res = await request({ filter })
    if (res.error || !res.data) onOutcome({ ok: false, message: describeError(res.error) })
    else onOutcome({ ok: true, id: res.data.requestExport.id, email: res.data.requestExport.email })
  }

  return (
    <span className="download">
      <button
        type="button"
        className={empty ? 'button secondary' : 'button primary'}
        onClick={() => (empty ? setConfirming(true) : send())}
        disabled={fetching || disabled}
        aria-expanded={empty ? confirming : undefined}
      >
        <svg viewBox="0 0 16 16" aria-hidden="true" className="button-icon">
          <path
            d="M8 2v8M4.5 6.5L8 10l3.5-3.5M3 13h10"
            fill="none"
            stroke="currentColor"
            strokeWidth="1.8"
            strokeLinecap="round"
            strokeLinejoin="round"
          />
        </svg>
        {fetching ? 'Requesting…' : empty ? 'Download (0 events)' : 'Download'}
      </button>
      {confirming && (
        <span className="download-confirm" role="alertdialog" aria-label="Download an empty report?">
          <span>No events match these filters, so the file would hold only its header row. Email it anyway?</span>
          <span className="download-confirm-actions">
            <button type="button" className="button primary small" onClick={send}>
              Send anyway
            </button>
            <button type="button" className="button secondary small" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </span>
        </span>
      )}
    </span>
  )
}

/** DownloadNotice says where the requested report will arrive (a polite live region). */
export function DownloadNotice({ outcome, email, onDismiss }: { outcome: DownloadOutcome | null; email: string; onDismiss: () => void }) {
  const to = outcome?.ok ? outcome.email || email : ''
  return (
    <div className="download-message" role="status" aria-live="polite">
      {outcome && (
        <div className={!outcome.ok ? 'alert error' : to ? 'alert success' : 'alert warning'}>
          <p>
            {!outcome.ok ? (
              <>Couldn't request the download. {outcome.message}</>
            ) : to ? (
              <>
                Your report is being prepared. An email with the download link is on its way to <strong>{to}</strong>. You can also follow
                it on <Link to={`/exports/${encodeURIComponent(outcome.id)}`}>the export's page</Link>.
              </>
            ) : (
              <>
                Your report is being prepared, but there is no email address to send the link to. Get it from{' '}
                <Link to={`/exports/${encodeURIComponent(outcome.id)}`}>the export's page</Link>.
              </>
            )}
          </p>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={onDismiss}>
            <svg viewBox="0 0 16 16" aria-hidden="true">
              <path d="M4 4l8 8M12 4l-8 8" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
            </svg>
          </button>
        </div>
      )}
    </div>
  )
}
