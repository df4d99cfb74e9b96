// New entries of a person's timeline as they are recorded (timelineEntryAdded over the websocket).
// They are shown above the first page; while a later page is shown they are only counted.
import { useEffect, useRef, useState } from 'react'
import { useClient } from 'urql'
import { describeError } from './errors'
import { TimelineEntryAddedDocument, type TimelineEntryFieldsFragment } from '../gql/graphql'

const MAX_LIVE = 200

/** LiveTimeline is what the timeline needs from the feed. */
export interface LiveTimeline {
  /** Entries to show above the first page, newest first. */
  shown: TimelineEntryFieldsFragment[]
  /** How many entries arrived while a later page was shown. */
  pending: number
  /** Every entry received since the page opened. */
  received: number
  /** Why new entries cannot arrive live, or "" while they can. */
  failed: string
}

/** liveKey identifies an entry: an event appears once as the actor and once per change to the person. */
export function liveKey(e: Pick<TimelineEntryFieldsFragment, 'event' | 'change'>): string {
  return e.change ? `c${e.change.id}` : `e${e.event.id}`
}

/** useLiveTimeline subscribes to the person's new timeline entries for as long as the page is open. */
export function useLiveTimeline(userID: string, hold: boolean): LiveTimeline {
  const client = useClient()
  const [shown, setShown] = useState<TimelineEntryFieldsFragment[]>([])
  const [pending, setPending] = useState(0)
  const [received, setReceived] = useState(0)
  const [failed, setFailed] = useState('')
  const holdRef = useRef(hold)
  holdRef.current = hold
  const seen = useRef(new Set<string>())

  // Going back to the first page shows what arrived meanwhile: the page is read afresh.
  useEffect(() => {
    if (!hold) setPending(0)
  }, [hold])

  useEffect(() => {
    setShown([])
    setPending(0)
    setReceived(0)
    setFailed('')
    seen.current = new Set()
    const sub = client.subscription(TimelineEntryAddedDocument, { userID }).subscribe((res) => {
      // A refused subscription (or one ended for falling behind) says so rather than looking live.
      if (res.error) setFailed(describeError(res.error))
      const entry = res.data?.timelineEntryAdded
      if (!entry) return
      const key = liveKey(entry)
      if (seen.current.has(key)) return
      seen.current.add(key)
      setReceived((n) => n + 1)
      if (holdRef.current) setPending((n) => n + 1)
      else setShown((s) => [entry, ...s].slice(0, MAX_LIVE))
    })
    return () => sub.unsubscribe()
  }, [client, userID])

  return { shown, pending, received, failed }
}
