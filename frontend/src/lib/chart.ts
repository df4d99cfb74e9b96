// Geometry of the activity chart: buckets to bars, and a drag across the plot to a From/To range.

/** Step is the width of a summary bucket. */
export type Step = 'HOUR' | 'DAY' | 'WEEK'

const STEP_MS: Record<Step, number> = { HOUR: 3_600_000, DAY: 86_400_000, WEEK: 7 * 86_400_000 }

/** stepMs is a bucket's nominal width; DST days are within an hour of it, which a chart can ignore. */
export function stepMs(step: Step): number {
  return STEP_MS[step]
}

/** Span is the time the plot covers: from the first bucket's start to the last bucket's end. */
export interface Span {
  start: number
  end: number
}

/** spanOf returns the plotted span of bucket starts (ISO strings), or null for no buckets. */
export function spanOf(starts: readonly string[], step: Step): Span | null {
  if (starts.length === 0) return null
  const first = new Date(starts[0]).getTime()
  const last = new Date(starts[starts.length - 1]).getTime()
  return { start: first, end: last + stepMs(step) }
}

/**
 * dragToRange maps a drag between two x positions on a plot of the given width to a time range,
 * snapped outwards to whole buckets (so a drag inside one bar selects that bar). The bucket
 * starts are used where known, so DST-length days snap correctly. Returns null for no buckets.
 */
export function dragToRange(
  x1: number,
  x2: number,
  width: number,
  starts: readonly string[],
  step: Step,
): { from: Date; to: Date } | null {
  if (starts.length === 0 || width <= 0) return null
  const n = starts.length
  const lo = Math.max(0, Math.min(x1, x2))
  const hi = Math.min(width, Math.max(x1, x2))
  const i = clamp(Math.floor((lo / width) * n), 0, n - 1)
  // A drag ending exactly on a boundary should not spill into the next bucket.
  const j = clamp(Math.ceil((hi / width) * n) - 1, i, n - 1)
  const from = new Date(starts[i])
  const to = j + 1 < n ? new Date(starts[j + 1]) : new Date(new Date(starts[j]).getTime() + stepMs(step))
  return { from, to }
}

/** isClick reports whether a pointer moved too little to count as a drag. */
export function isClick(x1: number, x2: number, threshold = 3): boolean {
  return Math.abs(x2 - x1) < threshold
}

/** niceMax rounds a maximum up to 1, 2 or 5 × 10ⁿ so axis labels read well. */
export function niceMax(max: number): number {
  if (max <= 0) return 1
  const p = 10 ** Math.floor(Math.log10(max))
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p
  return 10 * p
}

/**
 * axisTicks returns the values to label on a count axis of the given maximum: 0, the middle
 * and the top, leaving out a middle that is not a whole count, so no label repeats ("1, 1, 0").
 */
export function axisTicks(max: number): number[] {
  const ticks = [0, max / 2, max].filter((v) => Number.isInteger(v))
  return [...new Set(ticks)]
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v))
}
