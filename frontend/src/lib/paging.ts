// Cursor paging state for the report table. Relay servers may leave hasPreviousPage false when
// paging forward (and hasNextPage when paging back), so direction decides which flag to trust.
import type { ReportView } from './filter'

/** PageInfo is the part of a Relay page the pager needs. */
export interface PageInfoLike {
  hasNextPage: boolean
  hasPreviousPage: boolean
  startCursor?: string | null
  endCursor?: string | null
}

/** PagerState says which pager buttons work and where they go. */
export interface PagerState {
  canPrev: boolean
  canNext: boolean
  /** The view change for "Previous", or null. */
  prev: Partial<ReportView> | null
  /** The view change for "Next", or null. */
  next: Partial<ReportView> | null
}

/** pagerState works out the pager from the current view and the page the server returned. */
export function pagerState(v: Pick<ReportView, 'after' | 'before'>, page: PageInfoLike | null | undefined, rows: number): PagerState {
  if (!page || rows === 0) {
    // An empty page reached by paging can still go back to where it came from.
    const back = v.after || v.before ? { after: '', before: '' } : null
    return { canPrev: Boolean(back), canNext: false, prev: back, next: null }
  }
  const backwards = Boolean(v.before)
  const canNext = backwards ? true : page.hasNextPage
  const canPrev = backwards ? page.hasPreviousPage : Boolean(v.after)
  return {
    canNext: canNext && Boolean(page.endCursor),
    canPrev: canPrev && Boolean(page.startCursor),
    next: canNext && page.endCursor ? { after: page.endCursor, before: '' } : null,
    prev: canPrev && page.startCursor ? { before: page.startCursor, after: '' } : null,
  }
}

/**
 * atFirstPage reports whether a page reached by paging back is in fact the first page, so the
 * URL can drop its cursor and the live feed can resume.
 */
export function atFirstPage(v: Pick<ReportView, 'after' | 'before'>, page: PageInfoLike | null | undefined): boolean {
  return Boolean(v.before) && page != null && !page.hasPreviousPage
}
