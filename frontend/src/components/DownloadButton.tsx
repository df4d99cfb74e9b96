// Download: a small dialog over the current filter. Its default is the product description's
// path: the server builds the CSV in the background and emails a link (the Exports page also
// has it). A small result can also be downloaded at once, without the email round trip.
import { useEffect, useRef, useState } from 'react'
import { useMutation, useQuery } from 'urql'
import { DownloadLimitDocument, RequestExportDocument, type ExportColumn, type ReportFilter } from '../gql/graphql'
import { describeError, describeGraphQLError } from '../lib/errors'
import { formatInt, plural } from '../lib/format'
import { Link } from '../lib/router'

/**
 * DOWNLOAD_NOW_MAX_ROWS is the most events "Download now" serves by default. The server says its own
 * limit (Query.downloadNowMaxRows, which an operator may lower) and enforces it (413 TOO_MANY_ROWS);
 * the dialog follows what the server says so that it never offers a download the server refuses.
 */
export const DOWNLOAD_NOW_MAX_ROWS = 10_000

/** DETAIL_COLUMNS are the columns "Include user and problem details" appends after details. */
const DETAIL_COLUMNS: ExportColumn[] = ['USERNAME', 'SERVICE', 'PROBLEMS']

/** DownloadOutcome is what happened to the last Download. */
export type DownloadOutcome =
  | { ok: true; id: string; email: string }
  | { ok: true; now: true; rows: number; fileName: string }
  | { ok: false; message: string }

interface Props {
  filter: ReportFilter
  /** How many events the filter matches now, or undefined while unknown. */
  count: number | undefined
  /** Set when the filter cannot be exported as it stands (e.g. From after To). */
  disabled?: boolean
  onOutcome: (o: DownloadOutcome | null) => void
}

/** reportCSVURL is GET /report.csv for a filter and columns: the same file an export would hold. */
export function reportCSVURL(filter: ReportFilter, columns: ExportColumn[]): string {
  const q = new URLSearchParams({ filter: JSON.stringify(filter) })
  if (columns.length > 0) q.set('columns', columns.join(','))
  return `/report.csv?${q}`
}

/** fileNameOf reads the file name from a Content-Disposition header. */
function fileNameOf(disposition: string | null): string {
  return disposition?.match(/filename="([^"]+)"/)?.[1] ?? 'provisioning-report.csv'
}

/**
 * DownloadButton opens the Download dialog: email the link (the default), or download at once
 * when the filter matches at most DOWNLOAD_NOW_MAX_ROWS events. With no matching events it
 * says so, and asks before sending an email about an empty file.
 */
export function DownloadButton({ filter, count, disabled, onOutcome }: Props) {
  const [{ fetching }, request] = useMutation(RequestExportDocument)
  const [open, setOpen] = useState(false)
  const [details, setDetails] = useState(false)
  const [busyNow, setBusyNow] = useState(false)
  const [problem, setProblem] = useState('')
  const primary = useRef<HTMLButtonElement>(null)
  const empty = count === 0
  const [limit] = useQuery({ query: DownloadLimitDocument })
  const maxRows = limit.data?.downloadNowMaxRows ?? DOWNLOAD_NOW_MAX_ROWS
  const tooMany = count !== undefined && count > maxRows
  const columns = details ? DETAIL_COLUMNS : []

  useEffect(() => {
    if (open) primary.current?.focus()
  }, [open])

  function close() {
    setOpen(false)
    setProblem('')
  }

  async function send() {
    close()
    onOutcome(null)
    const res = await request({ filter, columns })
    if (res.error || !res.data) onOutcome({ ok: false, message: describeError(res.error) })
    else onOutcome({ ok: true, id: res.data.requestExport.id, email: res.data.requestExport.email })
  }

  async function downloadNow() {
    setBusyNow(true)
    setProblem('')
    onOutcome(null)
    try {
      const res = await fetch(reportCSVURL(filter, columns), { credentials: 'same-origin' })
      if (!res.ok) {
        const body = await res.json().catch(() => null)
        const err = body?.errors?.[0]
        setProblem(
          err ? describeGraphQLError(err) : `The server had a problem (HTTP ${res.status}${res.headers.get('X-Request-ID') ? `, request ID ${res.headers.get('X-Request-ID')}` : ''}).`,
        )
        return
      }
      const blob = await res.blob()
      const name = fileNameOf(res.headers.get('Content-Disposition'))
      const url = URL.createObjectURL(blob)
      const a = document.createElement('a')
      a.href = url
      a.download = name
      document.body.appendChild(a)
      a.click()
      a.remove()
      // The browser has the file once the click has been handled.
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
      close()
      onOutcome({ ok: true, now: true, rows: Number(res.headers.get('X-Row-Count') ?? 0), fileName: name })
    } catch {
      setProblem("Can't reach the server. Check your connection and try again.")
    } finally {
      setBusyNow(false)
    }
  }

  return (
    <span className="download">
      <button
        type="button"
        className={empty ? 'button secondary' : 'button primary'}
        onClick={() => (open ? close() : setOpen(true))}
        disabled={fetching || disabled}
        aria-expanded={open}
        aria-haspopup="dialog"
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
      {open && (
        <div
          className={empty ? 'download-confirm empty' : 'download-confirm'}
          role={empty ? 'alertdialog' : 'dialog'}
          aria-label={empty ? 'Download an empty report?' : 'Download the report'}
          onKeyDown={(e) => {
            if (e.key === 'Escape') close()
          }}
        >
          {empty ? (
            <p>No events match these filters, so the file would hold only its header row. Email it anyway?</p>
          ) : (
            <p>
              {count === undefined ? 'The CSV of these filters' : `The CSV of ${plural(count, 'event')}`} is built in the background and
              a link is emailed to you.
            </p>
          )}
          <label className="check">
            <input type="checkbox" checked={details} onChange={(e) => setDetails(e.target.checked)} />
            <span>
              Include user and problem details
              <span className="hint">Adds username, service and problems columns after details.</span>
            </span>
          </label>
          {problem && (
            <p className="alert error small" role="alert">
              {problem}
            </p>
          )}
          {tooMany && !problem && (
            <p className="hint">
              Over {formatInt(maxRows)} events: too many to download at once, so the file goes by the emailed link.
            </p>
          )}
          <span className="download-confirm-actions">
            <button type="button" className="button primary small" onClick={send} ref={primary}>
              {empty ? 'Send anyway' : 'Email me the link'}
            </button>
            <button type="button" className="button secondary small" onClick={downloadNow} disabled={busyNow || tooMany}>
              {busyNow ? 'Preparing…' : 'Download now'}
            </button>
            <button type="button" className="button secondary small" onClick={close}>
              Cancel
            </button>
          </span>
        </div>
      )}
    </span>
  )
}

/** DownloadNotice says where the requested report will arrive (a polite live region). */
export function DownloadNotice({ outcome, email, onDismiss }: { outcome: DownloadOutcome | null; email: string; onDismiss: () => void }) {
  const to = outcome?.ok && !('now' in outcome) ? outcome.email || email : ''
  const exportID = outcome?.ok && 'id' in outcome ? outcome.id : ''
  if (outcome?.ok && 'now' in outcome) {
    return (
      <div className="download-message" role="status" aria-live="polite">
        <div className="alert success">
          <p>
            Downloaded {plural(outcome.rows, 'event')} as <strong>{outcome.fileName}</strong>.
          </p>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={onDismiss}>
            <svg viewBox="0 0 16 16" aria-hidden="true">
              <path d="M4 4l8 8M12 4l-8 8" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
            </svg>
          </button>
        </div>
      </div>
    )
  }
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
                it on <Link to={`/exports/${encodeURIComponent(exportID)}`}>the export's page</Link>.
              </>
            ) : (
              <>
                Your report is being prepared, but there is no email address to send the link to. Get it from{' '}
                <Link to={`/exports/${encodeURIComponent(exportID)}`}>the export's page</Link>.
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
