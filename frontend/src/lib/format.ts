// Number and size formatting shared by the report, exports and tokens pages.

/** DEFAULT_LOCALE is a school's locale until the server says otherwise (School.locale's default). */
export const DEFAULT_LOCALE = 'en-AU'

let intFormat = new Intl.NumberFormat(DEFAULT_LOCALE)

/**
 * setNumberLocale makes every number on the page follow the school's locale (a BCP 47 tag from
 * School.locale): "12,345" in en-AU, "12.345" in de-DE. A tag the browser does not know keeps the
 * current format rather than breaking the page over a setting.
 */
export function setNumberLocale(locale: string | null | undefined): void {
  try {
    const f = new Intl.NumberFormat(locale || DEFAULT_LOCALE)
    if (f.resolvedOptions().locale !== intFormat.resolvedOptions().locale) intFormat = f
  } catch {
    // RangeError: not a well-formed language tag.
  }
}

/** formatInt groups thousands in the school's locale: 12345 → "12,345" (en-AU). */
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
