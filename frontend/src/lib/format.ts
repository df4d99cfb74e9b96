// Number and size formatting shared by the report, exports and tokens pages.

const intFormat = new Intl.NumberFormat('en-AU')

/** formatInt groups thousands: 12345 → "12,345". */
export function formatInt(n: number | null | undefined): string {
  return n == null ? '—' : intFormat.format(n)
}

/** formatBytes shows a size in B, KB, MB or GB (powers of 1024, one decimal above KB). */
export function formatBytes(n: number | null | undefined): string {
  if (n == null) return '—'
  if (n < 1024) return `${n} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`
}

/** plural picks "1 event" or "3 events". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatInt(n)} ${n === 1 ? one : many}`
}

/** formatLifetime says how long a number of seconds is, in the largest whole unit: "7 days", "36 hours". */
export function formatLifetime(seconds: number): string {
  for (const [size, one] of [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
  ] as const) {
    if (seconds >= size && seconds % size === 0) return plural(seconds / size, one)
  }
  return plural(seconds, 'second')
}
