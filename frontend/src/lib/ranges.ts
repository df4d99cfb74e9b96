// Quick date ranges beside From/To (Today, Yesterday, Last 7 days, Last 30 days), as Entra's
// provisioning logs and Google Admin's audit log offer them. Days are the school's days: a range
// starts and ends at midnight in the school's time zone, whatever the browser's zone.
import { instantToLocal } from './time'

/** QuickRange names a preset range; "" is no range at all and "custom" anything typed. */
export type QuickRange = '' | 'today' | 'yesterday' | '7d' | '30d' | 'custom'

/** QUICK_RANGES are the choices in the order the select lists them. */
export const QUICK_RANGES: { value: QuickRange; label: string }[] = [
  { value: '', label: 'Any time' },
  { value: 'today', label: 'Today' },
  { value: 'yesterday', label: 'Yesterday' },
  { value: '7d', label: 'Last 7 days' },
  { value: '30d', label: 'Last 30 days' },
  { value: 'custom', label: 'Custom' },
]

/** addDays moves a calendar date ("2026-03-05") by n days, across months and years. */
export function addDays(date: string, n: number): string {
  const [y, m, d] = date.split('-').map(Number)
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10)
}

/**
 * rangeFor returns the From/To values (datetime-local, in the school's zone) of a preset at
 * the instant now; To is exclusive, so "Today" runs from today's midnight to tomorrow's.
 * Returns null for "" and "custom", which have no values of their own.
 */
export function rangeFor(range: QuickRange, now: Date, timeZone: string): { from: string; to: string } | null {
  const today = instantToLocal(now, timeZone).slice(0, 10)
  const day = (n: number) => `${addDays(today, n)}T00:00`
  switch (range) {
    case 'today':
      return { from: day(0), to: day(1) }
    case 'yesterday':
      return { from: day(-1), to: day(0) }
    case '7d':
      return { from: day(-6), to: day(1) }
    case '30d':
      return { from: day(-29), to: day(1) }
    default:
      return null
  }
}

/** rangeOf names the preset that From/To equal at now: "" for neither set, else "custom". */
export function rangeOf(from: string, to: string, now: Date, timeZone: string): QuickRange {
  if (!from && !to) return ''
  for (const r of ['today', 'yesterday', '7d', '30d'] as const) {
    const v = rangeFor(r, now, timeZone)
    if (v && v.from === from && v.to === to) return r
  }
  return 'custom'
}
