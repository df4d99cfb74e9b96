// Icons that, with words, carry an event's outcome, so colour is never the only signal.
import type { MouseEvent } from 'react'
import { OUTCOME_LABEL, outcomeOf, type Outcome } from '../lib/eventTypes'
import { Link } from '../lib/router'

const PATHS: Record<Outcome, string> = {
  ok: 'M4 8.5l2.5 2.5L12 5.5',
  partial: 'M8 4.5v4.5M8 11.6v.01',
  failed: 'M5 5l6 6M11 5l-6 6',
  login: 'M6 4.5h4.5v7H6M3 8h6M7 6l2 2-2 2',
}

/** OutcomeIcon is a small decorative glyph; the words are given next to it. */
export function OutcomeIcon({ outcome }: { outcome: Outcome }) {
  return (
    <svg viewBox="0 0 16 16" className={`outcome-icon ${outcome}`} aria-hidden="true">
      <circle cx="8" cy="8" r="7.25" className="outcome-icon-bg" />
      <path d={PATHS[outcome]} fill="none" stroke="currentColor" strokeWidth="1.9" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  )
}

/** BadgeLink makes the badge's name a link, e.g. to the run's page. */
export interface BadgeLink {
  to: string
  tabIndex?: number
  onClick?: (e: MouseEvent<HTMLAnchorElement>) => void
}

/** EventBadge shows an event's display name with its outcome as colour, icon and hidden words. */
export function EventBadge({ type, name, errors = 0, link }: { type: string; name: string; errors?: number; link?: BadgeLink }) {
  const outcome = outcomeOf(type, errors)
  return (
    <span className={`event-badge ${outcome}`} title={OUTCOME_LABEL[outcome]}>
      <OutcomeIcon outcome={outcome} />
      <span>
        {link ? (
          <Link to={link.to} className="row-link" tabIndex={link.tabIndex} onClick={link.onClick}>
            {name}
          </Link>
        ) : (
          name
        )}
      </span>
      <span className="visually-hidden"> ({OUTCOME_LABEL[outcome]})</span>
    </span>
  )
}
