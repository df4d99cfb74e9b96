// The report table. Rows open their details on click or Enter; new live rows are highlighted.
import { Fragment, useRef, useState, type KeyboardEvent, type ReactNode } from 'react'
import type { EventFieldsFragment } from '../gql/graphql'
import { formatInt } from '../lib/format'
import { FLAG_LABEL, flagsReason, type Thresholds } from '../lib/health'
import { Link } from '../lib/router'
import { formatDateTime } from '../lib/time'
import { EventBadge } from './OutcomeIcon'

/** Row is an event as the table shows it. */
export interface Row {
  event: EventFieldsFragment
  /** Arrived over the live feed since the page loaded. */
  isNew?: boolean
}

interface Props {
  rows: readonly Row[]
  timeZone: string
  order: 'asc' | 'desc'
  onToggleOrder: () => void
  onOpen: (event: EventFieldsFragment) => void
  busy?: boolean
  /** The school's thresholds, which the reasons of flagged rows quote. */
  thresholds?: Thresholds
}

const COUNTS = ['processed', 'added', 'updated', 'deleted', 'disabled', 'errors'] as const
const COUNT_LABEL: Record<(typeof COUNTS)[number], string> = {
  processed: 'Processed',
  added: 'Added',
  updated: 'Updated',
  deleted: 'Deleted',
  disabled: 'Disabled',
  errors: 'Errors',
}

/**
 * breakable lets a username wrap after its dots, underscores, hyphens and @ (and nowhere else),
 * so that the User column can be narrow on a tablet without cutting names at random letters.
 */
export function breakable(name: string): ReactNode {
  const parts: string[] = []
  let part = ''
  for (const ch of name) {
    part += ch
    if ('._@-'.includes(ch)) {
      parts.push(part)
      part = ''
    }
  }
  if (part) parts.push(part)
  if (parts.length < 2) return name
  return parts.map((p, i) => (
    <Fragment key={i}>
      {i > 0 && <wbr />}
      {p}
    </Fragment>
  ))
}

/** isRun reports whether an event is a provisioning run (it has a run page), not a login. */
export function isRun(ev: Pick<EventFieldsFragment, 'type'>): boolean {
  return !['AUTHENTICATION', 'AUTHORISATION', 'AUTHENTICATION_FAILED'].includes(ev.type)
}

/** runPath and userPath are the addresses of a run's page and a person's page. */
export const runPath = (id: string) => `/events/${encodeURIComponent(id)}`
export const userPath = (id: string) => `/users/${encodeURIComponent(id)}`

/** EventTable lists events with the report's columns. */
export function EventTable({ rows, timeZone, order, onToggleOrder, onOpen, busy, thresholds }: Props) {
  // One tab stop for the whole table (roving tabindex); arrows move between rows.
  const [current, setCurrent] = useState(0)
  const body = useRef<HTMLTableSectionElement>(null)
  const active = Math.min(current, Math.max(0, rows.length - 1))

  function focusRow(i: number) {
    const next = Math.max(0, Math.min(rows.length - 1, i))
    setCurrent(next)
    body.current?.querySelectorAll<HTMLElement>(':scope > tr')[next]?.focus()
  }

  function onKey(e: KeyboardEvent<HTMLTableRowElement>, ev: EventFieldsFragment, i: number) {
    // Enter on a link inside the row follows the link, not the row.
    if (e.target !== e.currentTarget && (e.key === 'Enter' || e.key === ' ')) return
    switch (e.key) {
      case 'Enter':
      case ' ':
        e.preventDefault()
        onOpen(ev)
        break
      case 'ArrowDown':
        e.preventDefault()
        focusRow(i + 1)
        break
      case 'ArrowUp':
        e.preventDefault()
        focusRow(i - 1)
        break
      case 'Home':
        e.preventDefault()
        focusRow(0)
        break
      case 'End':
        e.preventDefault()
        focusRow(rows.length - 1)
        break
    }
  }
  const zone = timeZone.replace(/_/g, ' ')
  return (
    <div className="table-scroll" tabIndex={-1}>
      <table className="events phone-cards" aria-busy={busy || undefined}>
        <caption className="visually-hidden">
          Provisioning events, {order === 'desc' ? 'newest' : 'oldest'} first. Use the arrow keys to move between rows and Enter to see a
          row's details.
        </caption>
        <thead>
          <tr>
            <th scope="col" aria-sort={order === 'desc' ? 'descending' : 'ascending'} className="col-date">
              <button type="button" className="sort-button" onClick={onToggleOrder}>
                Date and Time
                <svg viewBox="0 0 16 16" aria-hidden="true" className={order === 'desc' ? 'sort-icon desc' : 'sort-icon asc'}>
                  <path
                    d="M8 3v10M4 9l4 4 4-4"
                    fill="none"
                    stroke="currentColor"
                    strokeWidth="1.8"
                    strokeLinecap="round"
                    strokeLinejoin="round"
                  />
                </svg>
                <span className="visually-hidden">, sorted {order === 'desc' ? 'newest first' : 'oldest first'}; activate to reverse</span>
              </button>
              <span className="th-sub">{zone}</span>
            </th>
            <th scope="col">Event</th>
            <th scope="col">Sync Profile</th>
            <th scope="col">User</th>
            {COUNTS.map((c) => (
              <th scope="col" key={c} className="num">
                {COUNT_LABEL[c]}
              </th>
            ))}
          </tr>
        </thead>
        <tbody ref={body}>
          {rows.map(({ event: ev, isNew }, i) => (
            <tr
              key={ev.id}
              tabIndex={i === active ? 0 : -1}
              className={(isNew ? 'row new' : 'row') + (ev.flags.length > 0 ? ' flagged' : '')}
              onClick={() => {
                setCurrent(i)
                onOpen(ev)
              }}
              onFocus={() => setCurrent(i)}
              onKeyDown={(e) => onKey(e, ev, i)}
            >
              <td className="col-date card-title" data-label="Date and Time">
                <time dateTime={ev.finishedAt}>{formatDateTime(ev.finishedAt, timeZone)}</time>
                {isNew && <span className="new-pill">New</span>}
              </td>
              <td className="col-event card-title" data-label="Event">
                {/* A run's name links to its own page; the row itself opens the details. */}
                <EventBadge
                  type={ev.type}
                  name={ev.typeName}
                  errors={ev.errors}
                  link={isRun(ev) ? { to: runPath(ev.id), tabIndex: i === active ? 0 : -1, onClick: (e) => e.stopPropagation() } : undefined}
                />
                {ev.flags.length > 0 && <FlagBadge event={ev} thresholds={thresholds} />}
              </td>
              <td className="col-profile" data-label="Sync Profile">
                {ev.syncProfile?.name ?? <span className="muted">—</span>}
              </td>
              <td className="col-user" data-label="User">
                {ev.user ? (
                  <Link
                    to={userPath(ev.user.id)}
                    className="row-link"
                    title={ev.user.displayName}
                    tabIndex={i === active ? 0 : -1}
                    onClick={(e) => e.stopPropagation()}
                  >
                    {breakable(ev.user.username)}
                  </Link>
                ) : (
                  <span className="muted">—</span>
                )}
                {ev.service && <span className="cell-sub">{ev.service}</span>}
              </td>
              {COUNTS.map((c) => (
                <td key={c} className={`num ${c}${ev[c] === 0 ? ' zero' : ''}`} data-label={COUNT_LABEL[c]}>
                  {formatInt(ev[c])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** FlagBadge marks a flagged run: what was flagged, and the reason on one line. */
export function FlagBadge({ event, thresholds }: { event: EventFieldsFragment; thresholds?: Thresholds }) {
  const reason = flagsReason(event, thresholds)
  return (
    <span className="flag-line">
      {/* The title keeps the reason at hand where a narrow screen hides its line. */}
      <span className="flag-badge" title={reason}>
        <svg viewBox="0 0 16 16" aria-hidden="true">
          <path d="M4 14V2.5m0 0h7.5l-1.8 3 1.8 3H4" fill="currentColor" stroke="currentColor" strokeWidth="1.4" strokeLinejoin="round" />
        </svg>
        <span className="visually-hidden">Flagged: </span>
        {event.flags.map((f) => FLAG_LABEL[f]).join(', ')}
      </span>
      <span className="flag-reason">{reason}</span>
    </span>
  )
}
