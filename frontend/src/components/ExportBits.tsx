// Pieces shared by the exports list and an export's own page: the status badge, the live status
// feed (exportUpdated) and a sentence describing the export's filter.
import { useEffect, useState } from 'react'
import { useClient } from 'urql'
import { ExportUpdatedDocument, type ExportFieldsFragment, type ExportStatus } from '../gql/graphql'
import { eventTypeName } from '../lib/eventTypes'
import { formatDateTime } from '../lib/time'

const STATUS_WORDS: Record<ExportStatus, string> = {
  QUEUED: 'Queued',
  RUNNING: 'Preparing',
  READY: 'Ready',
  FAILED: 'Failed',
  EXPIRED: 'Expired',
}

/** isPending reports whether an export may still change by itself. */
export function isPending(status: ExportStatus): boolean {
  return status === 'QUEUED' || status === 'RUNNING'
}

/** StatusBadge shows an export's status in words, with a spinner while it is being made. */
export function StatusBadge({ status }: { status: ExportStatus }) {
  return (
    <span className={`status-badge ${status.toLowerCase()}`}>
      {isPending(status) && <span className="spinner" aria-hidden="true" />}
      {STATUS_WORDS[status] ?? status}
    </span>
  )
}

/** POLL_MS is how often a page re-reads pending exports, in case the live feed is down. */
export const POLL_MS = 5000

/** usePollWhile calls refetch every POLL_MS while active (a fallback for the live feed). */
export function usePollWhile(active: boolean, refetch: () => void): void {
  useEffect(() => {
    if (!active) return
    const t = setInterval(refetch, POLL_MS)
    return () => clearInterval(t)
  }, [active, refetch])
}

/**
 * useLiveExport returns the export as last heard: the query's copy, replaced by exportUpdated
 * messages while it is queued or running.
 */
export function useLiveExport(exp: ExportFieldsFragment | null | undefined): ExportFieldsFragment | null | undefined {
  const client = useClient()
  // An update belongs to the copy it arrived for; a refetched copy starts afresh.
  const [latest, setLatest] = useState<{ base: ExportFieldsFragment; value: ExportFieldsFragment } | null>(null)
  const id = exp?.id
  const pending = exp ? isPending(exp.status) : false

  useEffect(() => {
    if (!exp || !pending) return
    const sub = client.subscription(ExportUpdatedDocument, { id: exp.id }).subscribe((res) => {
      if (res.data?.exportUpdated) setLatest({ base: exp, value: res.data.exportUpdated })
    })
    return () => sub.unsubscribe()
  }, [client, exp, id, pending])

  return latest && latest.base === exp ? latest.value : exp
}

/** describeFilter says in words which events an export holds. */
export function describeFilter(f: ExportFieldsFragment['filter'], timeZone: string): string[] {
  const parts: string[] = []
  if (f.from && f.to) parts.push(`From ${formatDateTime(f.from, timeZone, false)} to ${formatDateTime(f.to, timeZone, false)}`)
  else if (f.from) parts.push(`From ${formatDateTime(f.from, timeZone, false)}`)
  else if (f.to) parts.push(`Up to ${formatDateTime(f.to, timeZone, false)}`)
  else parts.push('All dates')
  if (f.user) parts.push(`User: ${f.user.displayName ? `${f.user.displayName} (${f.user.username})` : f.user.username}`)
  if (f.syncProfile) parts.push(`Sync profile: ${f.syncProfile.name}`)
  parts.push(f.types && f.types.length > 0 ? `Events: ${f.types.map(eventTypeName).join(', ')}` : 'All event types')
  parts.push(f.activeOnly ? 'Sync runs that changed nothing left out' : 'Including sync runs that changed nothing')
  return parts
}
