// An event's details in a modal dialog: what happened, when, how long it took, and for CSV
// uploads the row-level problems (Line, Field, Message).
import { useEffect, useId, useRef } from 'react'
import { useQuery } from 'urql'
import { EventDetailsDocument, type EventFieldsFragment } from '../gql/graphql'
import { formatInt } from '../lib/format'
import { FLAG_LABEL, flagExplanation, type Thresholds } from '../lib/health'
import { formatDateTime, formatDuration } from '../lib/time'
import { Link } from '../lib/router'
import { isRun, runPath, userPath } from './EventTable'
import { EventBadge } from './OutcomeIcon'
import { ErrorBox, Loading } from './Status'

interface Props {
  event: EventFieldsFragment
  timeZone: string
  /** The school's thresholds, which the explanation of each flag quotes. */
  thresholds?: Thresholds
  onClose: () => void
}

/** EventDetails shows one event; Escape, the Close button or a click outside close it. */
export function EventDetails({ event, timeZone, thresholds, onClose }: Props) {
  const id = useId()
  const ref = useRef<HTMLDialogElement>(null)
  const [res, refetch] = useQuery({ query: EventDetailsDocument, variables: { id: event.id } })
  const node = res.data?.node
  const details = node && 'problems' in node ? node : undefined

  useEffect(() => {
    const d = ref.current
    if (!d) return
    const opener = document.activeElement as HTMLElement | null
    if (!d.open) d.showModal?.()
    return () => {
      d.close?.()
      opener?.focus?.()
    }
  }, [])

  return (
    <dialog
      ref={ref}
      className="dialog details"
      aria-labelledby={`${id}-title`}
      onCancel={(e) => {
        e.preventDefault()
        onClose()
      }}
      onClick={(e) => {
        // A click on the backdrop lands on the dialog element itself.
        if (e.target === ref.current) onClose()
      }}
    >
      <div className="dialog-inner">
        <header className="dialog-header">
          <h2 id={`${id}-title`}>
            <EventBadge type={event.type} name={event.typeName} errors={event.errors} />
          </h2>
          <button type="button" className="icon-button" onClick={onClose} aria-label="Close details">
            <svg viewBox="0 0 16 16" aria-hidden="true">
              <path d="M4 4l8 8M12 4l-8 8" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
            </svg>
          </button>
        </header>
        <dl className="facts">
          <div>
            <dt>Started</dt>
            <dd>{formatDateTime(event.startedAt, timeZone)}</dd>
          </div>
          <div>
            <dt>Finished</dt>
            <dd>{formatDateTime(event.finishedAt, timeZone)}</dd>
          </div>
          <div>
            <dt>Duration</dt>
            <dd>{formatDuration(event.startedAt, event.finishedAt)}</dd>
          </div>
          {event.syncProfile && (
            <div>
              <dt>Sync Profile</dt>
              <dd>{event.syncProfile.name}</dd>
            </div>
          )}
          {event.user && (
            <div>
              <dt>User</dt>
              <dd>
                <Link to={userPath(event.user.id)}>
                  {event.user.displayName} ({event.user.username})
                </Link>
              </dd>
            </div>
          )}
          {event.service && (
            <div>
              <dt>Service</dt>
              <dd>{event.service}</dd>
            </div>
          )}
        </dl>
        <dl className="facts counts">
          {(['processed', 'added', 'updated', 'deleted', 'disabled', 'errors'] as const).map((k) => (
            <div key={k} className={event[k] === 0 ? 'zero' : k}>
              <dt>{k[0].toUpperCase() + k.slice(1)}</dt>
              <dd>{formatInt(event[k])}</dd>
            </div>
          ))}
        </dl>
        {event.flags.length > 0 && (
          <section aria-labelledby={`${id}-flags`} className="flag-explain">
            <h3 id={`${id}-flags`}>Why this run is flagged</h3>
            <ul>
              {event.flags.map((f) => (
                <li key={f}>
                  <strong>{FLAG_LABEL[f]}.</strong> {flagExplanation(f, event, thresholds)}
                </li>
              ))}
            </ul>
          </section>
        )}
        <section aria-labelledby={`${id}-details`}>
          <h3 id={`${id}-details`}>Details</h3>
          {res.fetching && !details ? (
            <Loading inline label="Loading details…" />
          ) : res.error ? (
            <ErrorBox error={res.error} title="Couldn't load the details" onRetry={() => refetch({ requestPolicy: 'network-only' })} />
          ) : details?.details ? (
            <pre className="details-text">{details.details}</pre>
          ) : (
            <p className="muted">No details were recorded.</p>
          )}
        </section>
        {details && details.problems.length > 0 && (
          <section aria-labelledby={`${id}-problems`}>
            <h3 id={`${id}-problems`}>Problems ({formatInt(details.problems.length)})</h3>
            <div className="table-scroll problems-scroll">
              <table className="problems">
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
                  {details.problems.map((p, i) => (
                    <tr key={i}>
                      <td className="num">{p.line}</td>
                      <td>
                        <code>{p.field}</code>
                      </td>
                      <td>{p.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        )}
        {details?.externalID && (
          <p className="muted small">
            External ID <code>{details.externalID}</code>
          </p>
        )}
        <footer className="dialog-footer">
          {isRun(event) && (
            <Link to={runPath(event.id)} className="button primary">
              Open the run's page
            </Link>
          )}
          <button type="button" className="button secondary" onClick={onClose}>
            Close
          </button>
        </footer>
      </div>
    </dialog>
  )
}
