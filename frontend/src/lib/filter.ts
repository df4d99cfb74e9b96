// The report's view state (filter, sort, page) and its round trip through the URL query string,
// so that every view is bookmarkable and Back returns to the previous one.
//
// From and To are kept in the URL as wall-clock times in the school's zone ("2024-03-05T08:30"),
// readable in a bookmark; toReportFilter converts them to instants once the zone is known.
import type { EventOrder, EventType, ReportFilter } from '../gql/graphql'
import { isEventType, EVENT_TYPES } from './eventTypes'
import { localToInstant } from './time'

/** PAGE_SIZES are the choices of the page size select; the server allows at most 500. */
export const PAGE_SIZES = [25, 50, 100, 200] as const
/** MAX_SEARCH is the longest details search the server takes, in characters. */
export const MAX_SEARCH = 200
/** DEFAULT_PAGE_SIZE is the server's default too. */
export const DEFAULT_PAGE_SIZE = 50

/** ReportView is everything the report page shows that a bookmark should bring back. */
export interface ReportView {
  /** datetime-local value in the school's zone, or "". */
  from: string
  /** datetime-local value in the school's zone, or "". */
  to: string
  userID: string
  /** The user's name as picked, so the typeahead can show it without a lookup. */
  userLabel: string
  syncProfileID: string
  /** Selected types in EVENT_TYPES order; empty means all. */
  types: EventType[]
  /** Free text looked for in the details and problems, on the server; "" for none. */
  search: string
  /** "Filter Events for Activity": hide idle sync runs. On by default. */
  activeOnly: boolean
  /** "Flagged runs only": only runs with at least one flag. Off by default. */
  flaggedOnly: boolean
  order: 'desc' | 'asc'
  pageSize: number
  /** Cursor paging: at most one of after/before is set. */
  after: string
  before: string
}

/** DEFAULT_VIEW is the report as first opened: everything, newest first, active only. */
export const DEFAULT_VIEW: ReportView = {
  from: '',
  to: '',
  userID: '',
  userLabel: '',
  syncProfileID: '',
  types: [],
  search: '',
  activeOnly: true,
  flaggedOnly: false,
  order: 'desc',
  pageSize: DEFAULT_PAGE_SIZE,
  after: '',
  before: '',
}

const LOCAL_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/

/** parseView reads a query string ("?from=…&type=…"); unknown or malformed values are dropped. */
export function parseView(search: string): ReportView {
  const q = new URLSearchParams(search)
  const v: ReportView = { ...DEFAULT_VIEW }
  const from = q.get('from') ?? ''
  const to = q.get('to') ?? ''
  if (LOCAL_RE.test(from)) v.from = from
  if (LOCAL_RE.test(to)) v.to = to
  v.userID = q.get('user') ?? ''
  v.userLabel = v.userID ? (q.get('userName') ?? '') : ''
  v.syncProfileID = q.get('profile') ?? ''
  const wanted = new Set(q.getAll('type').flatMap((t) => t.split(',')))
  v.types = EVENT_TYPES.map((t) => t.value).filter((t) => wanted.has(t) && isEventType(t))
  v.search = (q.get('q') ?? '').slice(0, MAX_SEARCH)
  v.activeOnly = q.get('all') !== '1'
  v.flaggedOnly = q.get('flagged') === '1'
  v.order = q.get('order') === 'asc' ? 'asc' : 'desc'
  const size = Number(q.get('size'))
  v.pageSize = (PAGE_SIZES as readonly number[]).includes(size) ? size : DEFAULT_PAGE_SIZE
  v.after = q.get('after') ?? ''
  v.before = v.after ? '' : (q.get('before') ?? '')
  return v
}

/** serializeView writes the view as a query string ("" or "?…"), omitting defaults. */
export function serializeView(v: ReportView): string {
  const q = new URLSearchParams()
  if (v.from) q.set('from', v.from)
  if (v.to) q.set('to', v.to)
  if (v.userID) {
    q.set('user', v.userID)
    if (v.userLabel) q.set('userName', v.userLabel)
  }
  if (v.syncProfileID) q.set('profile', v.syncProfileID)
  for (const t of v.types) q.append('type', t)
  if (v.search) q.set('q', v.search)
  if (!v.activeOnly) q.set('all', '1')
  if (v.flaggedOnly) q.set('flagged', '1')
  if (v.order !== 'desc') q.set('order', v.order)
  if (v.pageSize !== DEFAULT_PAGE_SIZE) q.set('size', String(v.pageSize))
  if (v.after) q.set('after', v.after)
  else if (v.before) q.set('before', v.before)
  const s = q.toString()
  return s ? `?${s}` : ''
}

/**
 * withChange applies a change to the view. Any change other than paging itself returns to the
 * first page, since old cursors point into a different result set.
 */
export function withChange(v: ReportView, change: Partial<ReportView>): ReportView {
  const paging = 'after' in change || 'before' in change
  const next = { ...v, ...change }
  if (!paging) {
    next.after = ''
    next.before = ''
  }
  return next
}

/** toReportFilter builds the GraphQL filter, reading From/To in the school's zone. */
export function toReportFilter(v: ReportView, timeZone: string): ReportFilter {
  const f: ReportFilter = { activeOnly: v.activeOnly }
  const from = v.from ? localToInstant(v.from, timeZone) : null
  const to = v.to ? localToInstant(v.to, timeZone) : null
  if (from) f.from = from.toISOString()
  if (to) f.to = to.toISOString()
  if (v.userID) f.userID = v.userID
  if (v.syncProfileID) f.syncProfileID = v.syncProfileID
  if (v.types.length > 0) f.types = v.types
  if (v.search.trim()) f.search = v.search.trim()
  if (v.flaggedOnly) f.flagged = true
  return f
}

/** toOrder builds the GraphQL order. */
export function toOrder(v: ReportView): EventOrder {
  return { field: 'DATE_FINISHED', direction: v.order === 'asc' ? 'ASC' : 'DESC' }
}

/** PageArgs are the Relay arguments of one page. */
export interface PageArgs {
  first?: number
  after?: string
  last?: number
  before?: string
}

/** toPageArgs turns the view's cursor into Relay arguments: forwards unless paging back. */
export function toPageArgs(v: ReportView): PageArgs {
  if (v.before) return { last: v.pageSize, before: v.before }
  if (v.after) return { first: v.pageSize, after: v.after }
  return { first: v.pageSize }
}

/** isFirstPage reports whether the view shows the first page (where live events are shown). */
export function isFirstPage(v: ReportView): boolean {
  return !v.after && !v.before
}

/** hasFilter reports whether anything narrows the report beyond the defaults. */
export function hasFilter(v: ReportView): boolean {
  return Boolean(v.from || v.to || v.userID || v.syncProfileID || v.types.length > 0 || v.search || !v.activeOnly || v.flaggedOnly)
}
