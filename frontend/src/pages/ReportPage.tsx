// The Provisioning Report: filters, totals, activity chart, the events table with cursor
// paging, event details, the live feed and Download. All view state lives in the URL.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { useClient, useQuery } from 'urql'
import { ActivityChart } from '../components/ActivityChart'
import { DownloadButton, DownloadNotice, type DownloadOutcome } from '../components/DownloadButton'
import { EventDetails } from '../components/EventDetails'
import { EventTable, type Row } from '../components/EventTable'
import { FilterBar, rangeProblem } from '../components/FilterBar'
import { LiveStatus } from '../components/LiveStatus'
import { Pager } from '../components/Pager'
import { Empty, ErrorBox, Loading } from '../components/Status'
import { Totals } from '../components/Totals'
import {
  UserSearchDocument,
  EventsDocument,
  EventSummaryDocument,
  SyncHealthSettingsDocument,
  type EventFieldsFragment,
} from '../gql/graphql'
import type { UserOption } from '../components/UserTypeahead'
import {
  DEFAULT_VIEW,
  hasFilter,
  isFirstPage,
  parseView,
  serializeView,
  toOrder,
  toPageArgs,
  toReportFilter,
  withChange,
  type ReportView,
} from '../lib/filter'
import { atFirstPage, pagerState } from '../lib/paging'
import { navigate, useLocation } from '../lib/router'
import { instantToLocal } from '../lib/time'
import { useLiveEvents } from '../lib/useLiveEvents'
import { useSession } from '../session'

const SUMMARY_REFRESH_MS = 5000

/** ReportPage is the dashboard's home page. */
export function ReportPage() {
  const { me, school } = useSession()
  const client = useClient()
  const { search } = useLocation()
  const view = useMemo(() => parseView(search), [search])
  const timeZone = school?.timezone ?? 'UTC'
  const filterKey = JSON.stringify([
    view.from,
    view.to,
    view.userID,
    view.syncProfileID,
    view.types,
    view.search,
    view.activeOnly,
    view.flaggedOnly,
    timeZone,
  ])
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const filter = useMemo(() => toReportFilter(view, timeZone), [filterKey])
  const [paused, setPaused] = useState(false)
  const [open, setOpen] = useState<EventFieldsFragment | null>(null)
  const [download, setDownload] = useState<DownloadOutcome | null>(null)
  // An impossible range, as typed or as in the URL, stops every query: the table, totals and
  // chart must not go on showing the previous range as if it still applied.
  const [typedProblem, setTypedProblem] = useState('')
  const badRange = typedProblem || rangeProblem(view.from, view.to)

  const setView = useCallback(
    (change: Partial<ReportView>, replace = false) => {
      navigate('/' + serializeView(withChange(view, change)), { replace })
    },
    [view],
  )

  const [events, refetchEvents] = useQuery({
    query: EventsDocument,
    variables: { ...toPageArgs(view), filter, orderBy: toOrder(view) },
    pause: !school || Boolean(badRange),
  })
  const [summary, refetchSummary] = useQuery({
    query: EventSummaryDocument,
    variables: { filter },
    pause: !school || Boolean(badRange),
  })

  // The thresholds put numbers into the reasons of flagged rows; without them the reasons
  // still say what the run did.
  const [settings] = useQuery({ query: SyncHealthSettingsDocument, pause: !school })
  const thresholds = settings.data?.syncHealthSettings

  // New events appear only where they belong: the first page, newest first.
  const applicable = isFirstPage(view) && view.order === 'desc'
  const live = useLiveEvents(filter, filterKey, Boolean(school) && !badRange, paused || !applicable)

  const { flush } = live
  useEffect(() => {
    if (!paused && applicable) flush()
  }, [paused, applicable, flush])

  // Totals and the chart follow the live feed, at most every few seconds.
  const lastRefresh = useRef(0)
  useEffect(() => {
    if (live.received === 0) return
    const wait = Math.max(0, lastRefresh.current + SUMMARY_REFRESH_MS - Date.now())
    const t = setTimeout(() => {
      lastRefresh.current = Date.now()
      refetchSummary({ requestPolicy: 'network-only' })
    }, wait)
    return () => clearTimeout(t)
  }, [live.received, refetchSummary])

  const conn = events.data?.events
  const pageRows = useMemo(() => (conn?.edges ?? []).flatMap((e) => (e?.node ? [e.node] : [])), [conn])
  const rows: Row[] = useMemo(() => {
    const onPage = new Set(pageRows.map((e) => e.id))
    const fresh = applicable ? live.shown.filter((e) => !onPage.has(e.id)) : []
    return [...fresh.map((event) => ({ event, isNew: true })), ...pageRows.map((event) => ({ event }))]
  }, [pageRows, live.shown, applicable])
  const pager = pagerState(view, conn?.pageInfo, pageRows.length)
  const total = conn ? conn.totalCount + (applicable ? rows.length - pageRows.length : 0) : undefined

  // Paging back to the very first page drops the cursor, so the URL and live feed are "home".
  useEffect(() => {
    if (conn && atFirstPage(view, conn.pageInfo)) setView({ after: '', before: '' }, true)
  }, [conn, view, setView])

  const searchUsers = useCallback(
    async (term: string): Promise<UserOption[]> => {
      const res = await client.query(UserSearchDocument, { search: term, first: 8 }, { requestPolicy: 'network-only' }).toPromise()
      if (res.error) throw res.error
      return (res.data?.users.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []))
    },
    [client],
  )

  const tableRef = useRef<HTMLDivElement>(null)
  function goPage(which: 'prev' | 'next') {
    const change = which === 'next' ? pager.next : pager.prev
    if (change) {
      setView(change)
      tableRef.current?.scrollIntoView?.({ block: 'start' })
    }
  }

  if (!school) return <Loading label="Loading your school…" />

  return (
    <section className="page report" aria-labelledby="report-title">
      <div className="page-head">
        <div>
          <h1 id="report-title">Provisioning Report</h1>
          <p className="page-sub">
            {school.name} · times in {timeZone.replace(/_/g, ' ')}
          </p>
        </div>
        <div className="page-actions">
          <LiveStatus paused={paused} onTogglePause={() => setPaused((p) => !p)} applicable={applicable} pending={live.pending.length} />
          <DownloadButton
            filter={filter}
            count={badRange ? undefined : conn?.totalCount}
            disabled={Boolean(badRange)}
            onOutcome={setDownload}
          />
        </div>
      </div>
      <DownloadNotice outcome={download} email={me?.email ?? ''} onDismiss={() => setDownload(null)} />

      <FilterBar
        view={view}
        timeZone={timeZone}
        onChange={(c) => setView(c)}
        onReset={() => setView({ ...DEFAULT_VIEW, order: view.order, pageSize: view.pageSize })}
        searchUsers={searchUsers}
        onRangeProblem={setTypedProblem}
      />

      {badRange ? (
        <div className="table-card">
          <Empty title="From must be earlier than To">
            <p>Nothing is shown for this range. Change From or To, or pick a date range.</p>
          </Empty>
        </div>
      ) : (
        <>
          <div className="overview">
            {summary.error ? (
              <ErrorBox
                error={summary.error}
                title="Couldn't load the totals"
                onRetry={() => refetchSummary({ requestPolicy: 'network-only' })}
              />
            ) : (
              <>
                <Totals summary={summary.data?.eventSummary} loading={summary.fetching} />
                {summary.data ? (
                  <ActivityChart
                    buckets={summary.data.eventSummary.buckets}
                    step={summary.data.eventSummary.step}
                    timeZone={timeZone}
                    onRange={(from, to) => setView({ from: instantToLocal(from, timeZone), to: instantToLocal(to, timeZone) })}
                  />
                ) : (
                  <div className="chart placeholder" aria-hidden="true" />
                )}
              </>
            )}
          </div>

          <div className="table-card" ref={tableRef}>
            <Pager
              placement="top"
              state={pager}
              pageSize={view.pageSize}
              total={total}
              shown={rows.length}
              onPage={goPage}
              onPageSize={(size) => setView({ pageSize: size })}
            />
            {!applicable && live.pending.length > 0 && (
              <p className="alert info">
                {live.pending.length === 1 ? '1 new event has' : `${live.pending.length} new events have`} arrived.{' '}
                <button type="button" className="link-button" onClick={() => setView({ order: 'desc' })}>
                  Show the newest
                </button>
              </p>
            )}
            {events.error ? (
              <ErrorBox
                error={events.error}
                title="Couldn't load events"
                onRetry={() => refetchEvents({ requestPolicy: 'network-only' })}
              />
            ) : !conn ? (
              <Loading label="Loading events…" />
            ) : rows.length === 0 ? (
              <Empty title={hasFilter(view) ? 'No events match these filters' : 'No events yet'}>
                {/* Each sentence names something to change: the filters first, then the hidden idle runs. */}
                {hasFilter(view) && <p>Try a wider date range, fewer filters or a different search.</p>}
                {view.flaggedOnly && <p>No run in this view was flagged.</p>}
                {view.activeOnly && (
                  <p>
                    Sync runs that changed nothing are hidden.{' '}
                    <button type="button" className="link-button" onClick={() => setView({ activeOnly: false })}>
                      Show all events
                    </button>
                  </p>
                )}
                {!hasFilter(view) && !view.activeOnly && <p>Events appear here as provisioning runs and users sign in.</p>}
              </Empty>
            ) : (
              <EventTable
                rows={rows}
                timeZone={timeZone}
                order={view.order}
                busy={events.fetching}
                onToggleOrder={() => setView({ order: view.order === 'desc' ? 'asc' : 'desc' })}
                onOpen={setOpen}
                thresholds={thresholds}
              />
            )}
            {rows.length > 0 && (
              <Pager
                placement="bottom"
                state={pager}
                pageSize={view.pageSize}
                total={total}
                shown={rows.length}
                onPage={goPage}
                onPageSize={(size) => setView({ pageSize: size })}
              />
            )}
          </div>
        </>
      )}

      {open && <EventDetails event={open} timeZone={timeZone} thresholds={thresholds} onClose={() => setOpen(null)} />}
    </section>
  )
}
