// "Download this run's changes": the run's changed accounts as CSV, one row per attribute change.
// As on the report, a file of at most the server's "Download now" limit (10,000 rows unless an
// operator lowered it) is saved at once; a larger one is built in the background and its link
// emailed, and the Exports page has it too.
import { useEffect, useRef, useState } from 'react'
import { useMutation, useQuery } from 'urql'
import { DownloadLimitDocument, RequestChangesExportDocument } from '../gql/graphql'
import { saveFile } from '../lib/csv'
import { describeError, describeGraphQLError } from '../lib/errors'
import { formatInt, plural } from '../lib/format'
import { Link } from '../lib/router'
import { DOWNLOAD_NOW_MAX_ROWS } from './DownloadButton'

interface Props {
  eventID: string
  /** How many rows the file has (Event.changesCSVRows). */
  rows: number
  /** Where the file is served at once (Event.changesCSVURL). */
  url: string
}

type Outcome = { kind: 'saved'; rows: number; fileName: string } | { kind: 'emailed'; id: string; email: string } | { kind: 'failed'; message: string }

/** fileNameOf reads the file name from a Content-Disposition header. */
function fileNameOf(disposition: string | null, eventID: string): string {
  return disposition?.match(/filename="([^"]+)"/)?.[1] ?? `run-${eventID}-changes.csv`
}

/** RunChangesDownload is the run page's download button, its small dialog and what came of it. */
export function RunChangesDownload({ eventID, rows, url }: Props) {
  const [open, setOpen] = useState(false)
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState('')
  const [outcome, setOutcome] = useState<Outcome | null>(null)
  const [limit] = useQuery({ query: DownloadLimitDocument })
  const [{ fetching: requesting }, request] = useMutation(RequestChangesExportDocument)
  const maxRows = limit.data?.downloadNowMaxRows ?? DOWNLOAD_NOW_MAX_ROWS
  const tooMany = rows > maxRows
  const primary = useRef<HTMLButtonElement>(null)

  useEffect(() => {
    if (open) primary.current?.focus()
  }, [open])

  function close() {
    setOpen(false)
    setProblem('')
  }

  async function downloadNow() {
    setBusy(true)
    setProblem('')
    setOutcome(null)
    try {
      const res = await fetch(url, { credentials: 'same-origin' })
      if (!res.ok) {
        const body = await res.json().catch(() => null)
        const err = body?.errors?.[0]
        const id = res.headers.get('X-Request-ID')
        setProblem(err ? describeGraphQLError(err) : `The server had a problem (HTTP ${res.status}${id ? `, request ID ${id}` : ''}).`)
        return
      }
      const name = fileNameOf(res.headers.get('Content-Disposition'), eventID)
      saveFile(await res.blob(), name)
      close()
      setOutcome({ kind: 'saved', rows: Number(res.headers.get('X-Row-Count') ?? rows), fileName: name })
    } catch {
      setProblem("Can't reach the server. Check your connection and try again.")
    } finally {
      setBusy(false)
    }
  }

  async function email() {
    close()
    setOutcome(null)
    const res = await request({ eventID })
    if (res.error || !res.data) setOutcome({ kind: 'failed', message: describeError(res.error) })
    else setOutcome({ kind: 'emailed', id: res.data.requestChangesExport.id, email: res.data.requestChangesExport.email })
  }

  return (
    <div className="download run-download">
      <button
        type="button"
        className="button primary"
        onClick={() => (open ? close() : setOpen(true))}
        disabled={requesting}
        aria-expanded={open}
        aria-haspopup="dialog"
      >
        <svg viewBox="0 0 16 16" aria-hidden="true" className="button-icon">
          <path d="M8 2v8M4.5 6.5L8 10l3.5-3.5M3 13h10" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        {requesting ? 'Requesting…' : "Download this run's changes"}
      </button>
      {open && (
        <div
          className="download-confirm"
          role="dialog"
          aria-label="Download this run's changes"
          onKeyDown={(e) => {
            if (e.key === 'Escape') close()
          }}
        >
          <p>
            {rows === 0
              ? 'The agent sent no changes for this run, so the file would hold only its header row.'
              : `A CSV of ${plural(rows, 'row')}: one per attribute change, and one for each change without attributes.`}
          </p>
          {problem && (
            <p className="alert error small" role="alert">
              {problem}
            </p>
          )}
          {tooMany && !problem && (
            <p className="hint">Over {formatInt(maxRows)} rows: too many to download at once, so the file goes by an emailed link.</p>
          )}
          <span className="download-confirm-actions">
            {tooMany ? (
              <button type="button" className="button primary small" onClick={email} ref={primary}>
                Email me the link
              </button>
            ) : (
              <>
                <button type="button" className="button primary small" onClick={downloadNow} disabled={busy} ref={primary}>
                  {busy ? 'Preparing…' : 'Download now'}
                </button>
                <button type="button" className="button secondary small" onClick={email}>
                  Email me the link
                </button>
              </>
            )}
            <button type="button" className="button secondary small" onClick={close}>
              Cancel
            </button>
          </span>
        </div>
      )}
      <div className="download-message" role="status" aria-live="polite">
        {outcome?.kind === 'saved' && (
          <p className="alert success">
            Downloaded {plural(outcome.rows, 'row')} as <strong>{outcome.fileName}</strong>.
          </p>
        )}
        {outcome?.kind === 'emailed' && (
          <p className="alert success">
            The file is being prepared.{' '}
            {outcome.email ? (
              <>
                An email with the download link is on its way to <strong>{outcome.email}</strong>.{' '}
              </>
            ) : null}
            Follow it on <Link to={`/exports/${encodeURIComponent(outcome.id)}`}>the export's page</Link>.
          </p>
        )}
        {outcome?.kind === 'failed' && <p className="alert error">Couldn't request the download. {outcome.message}</p>}
      </div>
    </div>
  )
}
