// Sync health in words: the statuses of profiles and their order on the Sync health page, and
// why a run was flagged, phrased from the run's own numbers, the baseline it was measured
// against and the school's thresholds (see RunFlag in the API).
import type { RunFlag, SyncHealthStatus } from '../gql/graphql'
import { formatInt } from './format'

/** STATUS_LABEL is the words for each status; colour is never the only signal. */
export const STATUS_LABEL: Record<SyncHealthStatus, string> = {
  FAILING: 'Failing',
  QUIET: 'Stopped running',
  WARNING: 'Warning',
  UNKNOWN: 'Not enough runs yet',
  HEALTHY: 'Healthy',
}

// Profiles that need attention come first, the most urgent first: a failing sync is
// broken now, a quiet one may be, a warning is worth a look.
const STATUS_RANK: Record<SyncHealthStatus, number> = { FAILING: 0, QUIET: 1, WARNING: 2, UNKNOWN: 3, HEALTHY: 4 }

/** needsAttention reports whether a status asks an admin to look. */
export function needsAttention(status: SyncHealthStatus): boolean {
  return status === 'FAILING' || status === 'QUIET' || status === 'WARNING'
}

/** byAttention orders profiles: those needing attention first, most urgent first, then by name. */
export function byAttention<T extends { name: string; health: { status: SyncHealthStatus } }>(profiles: readonly T[]): T[] {
  return [...profiles].sort(
    (a, b) => STATUS_RANK[a.health.status] - STATUS_RANK[b.health.status] || a.name.localeCompare(b.name),
  )
}

/** attentionSummary is the header's line: "2 profiles need attention", or "" when none do. */
export function attentionSummary(statuses: readonly SyncHealthStatus[]): string {
  const n = statuses.filter(needsAttention).length
  if (n === 0) return ''
  return n === 1 ? '1 profile needs attention' : `${formatInt(n)} profiles need attention`
}

/** nextRunBy is when the next run is expected: the last run plus the expected interval. */
export function nextRunBy(lastRunAt: string | null | undefined, expectedEvery: number | null | undefined): Date | null {
  if (!lastRunAt || expectedEvery == null) return null
  return new Date(Date.parse(lastRunAt) + expectedEvery * 1000)
}

/** FLAG_LABEL names each flag. */
export const FLAG_LABEL: Record<RunFlag, string> = {
  NOTHING_PROCESSED: 'Nothing processed',
  PROCESSED_DROP: 'Processed drop',
  MASS_DELETE: 'Mass delete',
  MASS_DISABLE: 'Mass disable',
  MASS_UPDATE: 'Mass update',
  ERROR_SPIKE: 'Error spike',
}

/** FlaggedRun is what the reasons read of an event. */
export interface FlaggedRun {
  flags: readonly RunFlag[]
  processed: number
  updated: number
  deleted: number
  disabled: number
  errors: number
  flagBaseline?: { runs: number; processed: number; errors: number } | null
}

/** Thresholds are the school's percentages (SyncHealthSettings). */
export interface Thresholds {
  deletePercent: number
  disablePercent: number
  updatePercent: number
  processedDropPercent: number
}

/** approx shows a baseline, a median that may end in a half, as a whole number: "~1,350". */
function approx(n: number): string {
  return `~${formatInt(Math.round(n))}`
}

function pct(p: number | undefined): string {
  return p == null ? 'the threshold' : `${p}%`
}

const MASS: Partial<Record<RunFlag, { verb: string; present: string; count: 'deleted' | 'disabled' | 'updated'; setting: keyof Thresholds }>> = {
  MASS_DELETE: { verb: 'deleted', present: 'deletes', count: 'deleted', setting: 'deletePercent' },
  MASS_DISABLE: { verb: 'disabled', present: 'disables', count: 'disabled', setting: 'disablePercent' },
  MASS_UPDATE: { verb: 'updated', present: 'updates', count: 'updated', setting: 'updatePercent' },
}

/**
 * flagReason is one flag in a few words, with the run's number against the baseline:
 * "deleted 412 of ~1,350, above 10%". Without a baseline (the API gives none once too few
 * earlier runs remain to read) it says what the run did against the threshold alone.
 */
export function flagReason(flag: RunFlag, run: FlaggedRun, t?: Thresholds): string {
  const base = run.flagBaseline
  const mass = MASS[flag]
  if (mass) {
    const p = pct(t?.[mass.setting])
    const n = formatInt(run[mass.count])
    return base ? `${mass.verb} ${n} of ${approx(base.processed)}, above ${p}` : `${mass.verb} ${n}, above ${p} of the usual`
  }
  switch (flag) {
    case 'NOTHING_PROCESSED':
      return 'processed nothing'
    case 'PROCESSED_DROP': {
      const p = t ? `${t.processedDropPercent}% or more` : 'far'
      return base
        ? `processed ${formatInt(run.processed)}, usually ${approx(base.processed)}, ${p} fewer`
        : `processed ${formatInt(run.processed)}, ${p} fewer than usual`
    }
    case 'ERROR_SPIKE':
      return base
        ? `${formatInt(run.errors)} errors, usually ${approx(base.errors)}, over 3×`
        : `${formatInt(run.errors)} errors, over 3× the usual`
  }
  return FLAG_LABEL[flag] ?? flag
}

/** flagsReason is a run's reasons on one line, in the flags' order. */
export function flagsReason(run: FlaggedRun, t?: Thresholds): string {
  const text = run.flags.map((f) => flagReason(f, run, t)).join('; ')
  return text ? text[0].toUpperCase() + text.slice(1) : ''
}

/**
 * flagExplanation explains one flag in full sentences with the numbers the rule compared:
 * the run's count, the baseline (the median of the earlier runs it was measured against)
 * and the threshold in records as well as in percent.
 */
export function flagExplanation(flag: RunFlag, run: FlaggedRun, t?: Thresholds): string {
  const base = run.flagBaseline
  const of = base
    ? `the baseline, ${approx(base.processed)} records processed (the median of the profile's ${formatInt(base.runs)} earlier successful runs)`
    : 'the baseline (the median processed by the profile’s earlier successful runs)'
  const mass = MASS[flag]
  if (mass) {
    const percent = t?.[mass.setting]
    const limit = base && percent != null ? `, that is more than ${formatInt(Math.floor((base.processed * percent) / 100))} records` : ''
    return `This run ${mass.verb} ${formatInt(run[mass.count])} records. A run is flagged when it ${mass.present} at least 5 and more than ${pct(percent)} of ${of}${limit}.`
  }
  switch (flag) {
    case 'NOTHING_PROCESSED':
      return 'This run processed 0 records. A sync or CSV upload that processes nothing usually could not reach its source, even when it reports success.'
    case 'PROCESSED_DROP': {
      const percent = t?.processedDropPercent
      const floor = base && percent != null ? `, that is fewer than ${formatInt(Math.ceil((base.processed * (100 - percent)) / 100))} records` : ''
      return `This run processed ${formatInt(run.processed)} records. A run is flagged when it processes ${percent != null ? `${percent}% or more` : 'far'} fewer than ${of}${floor}.`
    }
    case 'ERROR_SPIKE': {
      const usual = base ? Math.max(base.errors, 1) : null
      const median = base
        ? `the median of ${formatInt(base.errors)} errors of the profile's ${formatInt(base.runs)} earlier successful runs${base.errors === 0 ? ' (counted as 1)' : ''}, that is more than ${formatInt(Math.floor(usual! * 3))}`
        : 'the median errors of the profile’s earlier successful runs'
      return `This run had ${formatInt(run.errors)} errors. A run is flagged when it has at least 5 errors and more than 3 times ${median}.`
    }
  }
  return FLAG_LABEL[flag] ?? flag
}
