// A person's timeline: every event they were the actor of and every change a run made to their
// account, newest first, paged on the server. On the first page, new entries arrive live and are
// marked New; on later pages they are counted, with a link back to the newest.
import { useEffect, useId, useMemo, useRef } from 'react'
import { useQuery } from 'urql'
import { TimelineDocument, type TimelineEntryFieldsFragment } from '../gql/graphql'
import { describeEntry, formatValue } from '../lib/changes'
import { outcomeOf, OUTCOME_LABEL } from '../lib/eventTypes'
import { atFirstPage, pagerState } from '../lib/paging'
import { Link, navigate } from '../lib/router'
import { formatDateTime } from '../lib/time'
import { liveKey, useLiveTimeline } from '../lib/useLiveTimeline'
import { isRun, runPath } from './EventTable'
import { LiveStatus } from './LiveStatus'
import { OutcomeIcon } from './OutcomeIcon'
import { Pager } from './Pager'
import { Empty, ErrorBox, Loading } from './Status'

/** TIMELINE_PAGE is how many entries one page of the timeline holds. */
export const TIMELINE_PAGE = 25

interface Props {
  userID: string
  timeZone: string
  params: URLSearchParams
  basePath: string
  /** onNew is called when a live entry arrives, so the page's figures can be read again. */
  onNew?: () => void
}

/** entryKey identifies an entry: an event appears once as the actor and once per change to the person. */
export const entryKey = liveKey

/** Timeline lists a person's entries. */
export function Timeline({ userID, timeZone, params, basePath, onNew }: Props) {
  const id = useId()
  const after = params.get('after') ?? ''
  const before = params.get('before') ?? ''
  const first = !after && !before
  const listRef = useRef<HTMLDivElement>(null)

  const [res, refetch] = useQuery({
    query: TimelineDocument,
    variables: { id: userID, ...(before ? { last: TIMELINE_PAGE, before } : { first: TIMELINE_PAGE, after: after || null }) },
  })
  const node = res.data?.node
  const conn = node && 'timeline' in node ? node.timeline : undefined
  const pageRows = useMemo(() => (conn?.edges ?? []).flatMap((e) => (e?.node ? [e.node] : [])), [conn])
  const live = useLiveTimeline(userID, !first)
  const view = { after, before }
  const pager = pagerState(view, conn?.pageInfo, pageRows.length)

  const received = live.received
  useEffect(() => {
    if (received > 0) onNew?.()
  }, [received, onNew])

  function go(change: { after?: string; before?: string }, replace = false) {
    const q = new URLSearchParams(params)
    for (const k of ['after', 'before'] as const) {
      const v = change[k]
      if (v) q.set(k, v)
      else q.delete(k)
    }
    const qs = q.toString()
    navigate(basePath + (qs ? `?${qs}` : ''), { replace })
  }

  useEffect(() => {
    if (conn && atFirstPage(view, conn.pageInfo)) go({}, true)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [conn])

  const rows = useMemo(() => {
    const onPage = new Set(pageRows.map(entryKey))
    const fresh = first ? live.shown.filter((e) => !onPage.has(entryKey(e))) : []
    return [...fresh.map((entry) => ({ entry, isNew: true })), ...pageRows.map((entry) => ({ entry, isNew: false }))]
  }, [pageRows, live.shown, first])
  const total = conn ? conn.totalCount + (rows.length - pageRows.length) : undefined

  function page(which: 'prev' | 'next') {
    const change = which === 'next' ? pager.next : pager.prev
    if (!change) return
    go({ after: change.after, before: change.before })
    listRef.current?.scrollIntoView?.({ block: 'start' })
  }

  return (
    <div className="card timeline-card" aria-labelledby={`${id}-title`} ref={listRef}>
      <div className="page-head">
        <h2 id={`${id}-title`}>Timeline</h2>
        <div className="page-actions">
          {live.failed ? (
            <span className="muted small" role="status">
              New entries can't arrive live; reload to see them. {live.failed}
            </span>
          ) : (
            <LiveStatus paused={false} applicable={first} pending={live.pending} />
          )}
        </div>
      </div>
      {!first && live.pending > 0 && (
        <p className="alert info">
          {live.pending === 1 ? '1 new entry has' : `${live.pending} new entries have`} arrived.{' '}
          <button type="button" className="link-button" onClick={() => go({})}>
            Show the newest
          </button>
        </p>
      )}
      {res.error ? (
        <ErrorBox error={res.error} title="Couldn't load the timeline" onRetry={() => refetch({ requestPolicy: 'network-only' })} />
      ) : !conn ? (
        <Loading label="Loading the timeline…" />
      ) : rows.length === 0 ? (
        <Empty title="Nothing on the timeline yet">
          <p>Sign-ins, failed sign-ins and changes that runs make to this account appear here as they are recorded.</p>
        </Empty>
      ) : (
        <>
          <Pager placement="top" state={pager} pageSize={TIMELINE_PAGE} total={total} shown={rows.length} onPage={page} noun={['entry', 'entries']} />
          <ol className="timeline" aria-busy={res.fetching || undefined}>
            {rows.map(({ entry, isNew }) => (
              <TimelineItem key={entryKey(entry)} entry={entry} isNew={isNew} timeZone={timeZone} />
            ))}
          </ol>
          <Pager placement="bottom" state={pager} pageSize={TIMELINE_PAGE} total={total} shown={rows.length} onPage={page} noun={['entry', 'entries']} />
        </>
      )}
    </div>
  )
}

function TimelineItem({ entry, isNew, timeZone }: { entry: TimelineEntryFieldsFragment; isNew: boolean; timeZone: string }) {
  const { title, detail } = describeEntry(entry)
  const ev = entry.event
  const kind = entry.change ? `change ${entry.change.action.toLowerCase()}` : outcomeOf(ev.type, ev.errors)
  return (
    <li className={`timeline-item ${kind}${isNew ? ' new' : ''}`}>
      <time dateTime={entry.at} className="timeline-time">
        {formatDateTime(entry.at, timeZone)}
        {isNew && <span className="new-pill">New</span>}
      </time>
      <div className="timeline-body">
        <p className="timeline-title">
          {entry.change ? (
            <span className={`action-dot ${entry.change.action.toLowerCase()}`} aria-hidden="true" />
          ) : (
            <OutcomeIcon outcome={outcomeOf(ev.type, ev.errors)} />
          )}
          <span className="visually-hidden">{entry.change ? '' : `(${OUTCOME_LABEL[outcomeOf(ev.type, ev.errors)]}) `}</span>
          {isRun(ev) ? <Link to={runPath(ev.id)}>{title}</Link> : <span>{title}</span>}
        </p>
        {detail && <p className="timeline-detail">{detail}</p>}
        {entry.change && entry.change.attributes.length > 0 && (
          <details className="timeline-attrs">
            <summary>What changed</summary>
            <ul>
              {entry.change.attributes.map((a) => (
                <li key={a.name}>
                  {/* An empty side reads "(none)" in grey, as in the run page's table, not struck out as an old value. */}
                  <code>{a.name}</code>: <span className={valueClass(a.old, 'old')}>{formatValue(a.old)}</span> <span aria-hidden="true">→</span>
                  <span className="visually-hidden">changed to</span> <span className={valueClass(a.new, 'new')}>{formatValue(a.new)}</span>
                </li>
              ))}
            </ul>
          </details>
        )}
      </div>
    </li>
  )
}

/** valueClass styles one side of an attribute change: old or new, or muted when it is empty. */
function valueClass(v: string | null | undefined, side: 'old' | 'new'): string {
  return v == null || v === '' ? 'value muted' : `value ${side}`
}
