// The report's totals over everything the filter matches (not just the page shown).
import type { EventSummaryQuery } from '../gql/graphql'
import { formatInt } from '../lib/format'

type Summary = EventSummaryQuery['eventSummary']

const ITEMS: { key: keyof Summary; label: string; tone: string }[] = [
  { key: 'added', label: 'Added', tone: 'added' },
  { key: 'updated', label: 'Updated', tone: 'updated' },
  { key: 'deleted', label: 'Deleted', tone: 'deleted' },
  { key: 'disabled', label: 'Disabled', tone: 'disabled' },
  { key: 'errors', label: 'Errors', tone: 'errors' },
  { key: 'failedLogins', label: 'Failed logins', tone: 'failed' },
]

/** Totals shows one figure per kind of change; zeros are dimmed, problems stand out. */
export function Totals({ summary, loading }: { summary: Summary | undefined; loading: boolean }) {
  return (
    <dl className={loading && !summary ? 'totals loading-dim' : 'totals'} aria-busy={loading}>
      {ITEMS.map((it) => {
        const v = summary ? (summary[it.key] as number) : undefined
        const cls = ['total', it.tone, v === 0 ? 'zero' : '', v && (it.key === 'errors' || it.key === 'failedLogins') ? 'alerting' : '']
        return (
          <div key={it.key} className={cls.filter(Boolean).join(' ')}>
            <dt>{it.label}</dt>
            <dd>{v === undefined ? '…' : formatInt(v)}</dd>
          </div>
        )
      })}
    </dl>
  )
}
