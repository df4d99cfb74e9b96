// Cursor paging controls: page size, count, Previous and Next.
import { useId } from 'react'
import { PAGE_SIZES } from '../lib/filter'
import { formatInt } from '../lib/format'
import type { PagerState } from '../lib/paging'

interface Props {
  state: PagerState
  pageSize: number
  total: number | undefined
  shown: number
  onPage: (which: 'prev' | 'next') => void
  /** onPageSize is absent where the page size is fixed. */
  onPageSize?: (size: number) => void
  placement: 'top' | 'bottom'
  /** What is counted, singular and plural; events by default. */
  noun?: readonly [string, string]
}

/** Pager is shown above and below the table. */
export function Pager({ state, pageSize, total, shown, onPage, onPageSize, placement, noun = ['event', 'events'] }: Props) {
  const id = useId()
  return (
    <nav className={`pager ${placement}`} aria-label={placement === 'top' ? 'Pages' : 'Pages (bottom)'}>
      <span className="pager-count" aria-live={placement === 'top' ? 'polite' : undefined}>
        {total === undefined ? '…' : total === 1 ? `1 ${noun[0]}` : `${formatInt(total)} ${noun[1]}`}
        {total !== undefined && shown > 0 && shown < total && <span className="muted"> · showing {formatInt(shown)}</span>}
      </span>
      {placement === 'top' && onPageSize && (
        <span className="pager-size">
          <label htmlFor={`${id}-size`}>Rows per page</label>
          <select id={`${id}-size`} value={pageSize} onChange={(e) => onPageSize(Number(e.target.value))}>
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </span>
      )}
      <span className="pager-buttons">
        <button type="button" className="button secondary small" disabled={!state.canPrev} onClick={() => onPage('prev')}>
          <span aria-hidden="true">‹ </span>Previous
        </button>
        <button type="button" className="button secondary small" disabled={!state.canNext} onClick={() => onPage('next')}>
          Next<span aria-hidden="true"> ›</span>
        </button>
      </span>
    </nav>
  )
}
