// The sync profiles' health, kept fresh: health is judged when it is read (a profile turns
// QUIET as time passes, with no event to announce it), so it is read again every minute and
// shortly after each run the live feed reports.
import { useEffect, useRef } from 'react'
import { useClient, useQuery } from 'urql'
import { EventRecordedDocument, SyncHealthDocument } from '../gql/graphql'

/** HEALTH_REFRESH_MS is how often health is read again without any new run. */
export const HEALTH_REFRESH_MS = 60_000
// Runs often arrive in bursts (one per profile at the top of the hour): one read after the
// burst settles is enough.
const AFTER_RUN_MS = 1500

/**
 * useSyncHealth queries every profile's health while enabled, and reads it again every minute
 * and after runs arrive; onRun, when given, is told of each run too (the page reloads that
 * profile's chart).
 */
export function useSyncHealth(enabled: boolean, onRun?: (syncProfileID: string) => void) {
  const client = useClient()
  const [res, refetch] = useQuery({ query: SyncHealthDocument, pause: !enabled })
  const onRunRef = useRef(onRun)
  useEffect(() => {
    onRunRef.current = onRun
  })

  useEffect(() => {
    if (!enabled) return
    const every = setInterval(() => refetch({ requestPolicy: 'network-only' }), HEALTH_REFRESH_MS)
    let soon: ReturnType<typeof setTimeout> | undefined
    // Idle runs count as runs too (they move lastRunAt), so the feed asks for every event.
    const sub = client.subscription(EventRecordedDocument, { filter: { activeOnly: false } }).subscribe((r) => {
      const ev = r.data?.eventRecorded
      if (!ev?.syncProfile) return
      onRunRef.current?.(ev.syncProfile.id)
      clearTimeout(soon)
      soon = setTimeout(() => refetch({ requestPolicy: 'network-only' }), AFTER_RUN_MS)
    })
    return () => {
      clearInterval(every)
      clearTimeout(soon)
      sub.unsubscribe()
    }
  }, [client, enabled, refetch])

  return res
}
