// The live feed: eventRecorded(filter) over the websocket. New events are held back while the
// feed is paused or the table is not showing the newest page, and counted so the UI can say so.
import { useCallback, useEffect, useRef, useState } from 'react'
import { useClient } from 'urql'
import { EventRecordedDocument, type EventFieldsFragment, type ReportFilter } from '../gql/graphql'

const MAX_LIVE = 200

/** LiveEvents is what the report page needs from the feed. */
export interface LiveEvents {
  /** Events to show above the page, newest first. */
  shown: EventFieldsFragment[]
  /** Events received but held back. */
  pending: EventFieldsFragment[]
  /** flush shows the held-back events. */
  flush: () => void
  /** received counts every event since the filter last changed (to refresh totals). */
  received: number
}

/**
 * useLiveEvents subscribes for as long as enabled; filterKey identifies the filter, and a new
 * key starts afresh. hold keeps new events pending instead of shown.
 */
export function useLiveEvents(filter: ReportFilter, filterKey: string, enabled: boolean, hold: boolean): LiveEvents {
  const client = useClient()
  const [shown, setShown] = useState<EventFieldsFragment[]>([])
  const [pending, setPending] = useState<EventFieldsFragment[]>([])
  const [received, setReceived] = useState(0)
  const holdRef = useRef(hold)
  holdRef.current = hold
  const seen = useRef(new Set<string>())

  useEffect(() => {
    setShown([])
    setPending([])
    setReceived(0)
    seen.current = new Set()
    if (!enabled) return
    const sub = client.subscription(EventRecordedDocument, { filter }).subscribe((res) => {
      const ev = res.data?.eventRecorded
      if (!ev || seen.current.has(ev.id)) return
      seen.current.add(ev.id)
      setReceived((n) => n + 1)
      if (holdRef.current) setPending((p) => [ev, ...p].slice(0, MAX_LIVE))
      else setShown((s) => [ev, ...s].slice(0, MAX_LIVE))
    })
    return () => sub.unsubscribe()
    // The filter object is described by filterKey; re-subscribing on identity would churn.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, filterKey, enabled])

  const pendingRef = useRef(pending)
  pendingRef.current = pending
  const flush = useCallback(() => {
    const p = pendingRef.current
    if (p.length === 0) return
    setPending([])
    setShown((s) => [...p, ...s].slice(0, MAX_LIVE))
  }, [])

  return { shown, pending, flush, received }
}
