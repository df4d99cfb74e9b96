// A profile's recent runs as small SVG bars of records processed, oldest on the left, with
// flagged runs drawn in the problem colour under a marker. The words (aria-label and each
// bar's title) carry what the colours show.
import type { RunFlag } from '../gql/graphql'
import { eventTypeName, outcomeOf } from '../lib/eventTypes'
import { formatInt } from '../lib/format'
import { FLAG_LABEL } from '../lib/health'
import { formatDateTime } from '../lib/time'

/** ChartRun is one run as the chart reads it. */
export interface ChartRun {
  id: string
  type: string
  finishedAt: string
  processed: number
  flags: readonly RunFlag[]
}

interface Props {
  /** Newest first, as the API pages them. */
  runs: readonly ChartRun[]
  timeZone: string
  /** Slots drawn, so that bars keep one width whatever the number of runs. */
  slots?: number
}

const W = 300
const H = 64
const TOP = 10

/** runsChartLabel describes the chart for screen readers. */
export function runsChartLabel(runs: readonly ChartRun[]): string {
  if (runs.length === 0) return 'No runs yet'
  const flagged = runs.filter((r) => r.flags.length > 0).length
  const failed = runs.filter((r) => outcomeOf(r.type) === 'failed').length
  const newest = runs[0]
  const most = Math.max(...runs.map((r) => r.processed))
  return (
    `Records processed by the last ${runs.length === 1 ? 'run' : `${formatInt(runs.length)} runs`}: ` +
    `latest ${formatInt(newest.processed)}, most ${formatInt(most)}; ` +
    (flagged === 0 ? 'none flagged' : `${formatInt(flagged)} flagged`) +
    (failed === 0 ? '' : `, ${formatInt(failed)} failed`)
  )
}

/** RunsChart draws the runs' processed counts. */
export function RunsChart({ runs, timeZone, slots = 30 }: Props) {
  const ordered = [...runs].reverse()
  const max = Math.max(1, ...ordered.map((r) => r.processed))
  const slot = W / Math.max(slots, ordered.length)
  const bar = Math.max(2, slot - 2)
  const offset = W - ordered.length * slot
  return (
    <svg className="runs-chart" viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={runsChartLabel(runs)}>
      <line x1="0" x2={W} y1={H - 0.5} y2={H - 0.5} className="runs-axis" />
      {ordered.map((r, i) => {
        const h = r.processed === 0 ? 2 : Math.max(2, ((H - TOP) * r.processed) / max)
        const x = offset + i * slot + (slot - bar) / 2
        const flagged = r.flags.length > 0
        // A run that failed outright carries no flag but is just as worth seeing.
        const failed = outcomeOf(r.type) === 'failed'
        const title =
          `${formatDateTime(r.finishedAt, timeZone, false)}: ${formatInt(r.processed)} processed` +
          (failed ? ` — ${eventTypeName(r.type)}` : '') +
          (flagged ? ` — ${r.flags.map((f) => FLAG_LABEL[f]).join(', ')}` : '')
        const cls = ['run', flagged && 'flagged', failed && 'failed'].filter(Boolean).join(' ')
        return (
          <g key={r.id} className={cls} data-flagged={flagged || undefined} data-failed={failed || undefined}>
            <title>{title}</title>
            <rect x={x} y={H - h} width={bar} height={h} rx="1" />
            {flagged && <path d={`M${x + bar / 2 - 3.5} 1h7l-3.5 6z`} className="run-marker" />}
            {failed && !flagged && (
              <path d={`M${x + bar / 2 - 3} ${H - 12}l6 6m0 -6l-6 6`} className="run-failed-marker" />
            )}
          </g>
        )
      })}
    </svg>
  )
}
