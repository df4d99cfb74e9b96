// Time zone arithmetic with Intl only. The report shows times in the school's time zone, and
// the From/To inputs (datetime-local) hold wall-clock times in that zone, not the browser's.

const partsCache = new Map<string, Intl.DateTimeFormat>()

function partsFormat(timeZone: string): Intl.DateTimeFormat {
  let f = partsCache.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    partsCache.set(timeZone, f)
  }
  return f
}

interface Wall {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
}

function wallClock(ms: number, timeZone: string): Wall {
  const out: Record<string, number> = {}
  for (const p of partsFormat(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') out[p.type] = Number(p.value)
  }
  return {
    year: out.year,
    month: out.month,
    day: out.day,
    hour: out.hour === 24 ? 0 : out.hour,
    minute: out.minute,
    second: out.second,
  }
}

/** isValidTimeZone reports whether Intl knows the IANA zone name. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    partsFormat(timeZone)
    return true
  } catch {
    return false
  }
}

/** zoneOffsetMs is the zone's offset from UTC at the instant, in milliseconds (east positive). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone)
  const asUTC = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second)
  return asUTC - (ms - (((ms % 1000) + 1000) % 1000))
}

const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/

/**
 * localToInstant turns a datetime-local value ("2024-03-05T08:30") read as wall-clock time
 * in timeZone into an instant. Times skipped by a DST jump move forward by the gap; ambiguous
 * times (the repeated hour) take the earlier instant. Returns null for malformed input.
 */
export function localToInstant(local: string, timeZone: string): Date | null {
  const m = LOCAL_RE.exec(local)
  if (!m) return null
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v)))
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null
  const guess = Date.UTC(y, mo - 1, d, h, mi, s)
  // Try the offsets in force a day either side of the guess; keep the earliest that maps back.
  const offsets = new Set([
    zoneOffsetMs(guess - 86_400_000, timeZone),
    zoneOffsetMs(guess, timeZone),
    zoneOffsetMs(guess + 86_400_000, timeZone),
  ])
  const candidates: number[] = []
  for (const off of offsets) {
    const t = guess - off
    if (zoneOffsetMs(t, timeZone) === off) candidates.push(t)
  }
  if (candidates.length > 0) return new Date(Math.min(...candidates))
  // In a DST gap: no offset maps back. Use the offset from before the gap.
  return new Date(guess - zoneOffsetMs(guess - 86_400_000, timeZone))
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** instantToLocal formats an instant as a datetime-local value (minute precision) in timeZone. */
export function instantToLocal(instant: Date | number | string, timeZone: string): string {
  const ms = new Date(instant).getTime()
  const w = wallClock(ms, timeZone)
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}`
}

const displayCache = new Map<string, Intl.DateTimeFormat>()

/**
 * formatDateTime shows an instant in the school's zone with the zone's short name, e.g.
 * "5 Mar 2024, 08:30:12 AEDT". Seconds matter when telling sync runs apart.
 */
export function formatDateTime(instant: string | Date, timeZone: string, seconds = true): string {
  const key = `${timeZone}|${seconds}`
  let f = displayCache.get(key)
  if (!f) {
    f = new Intl.DateTimeFormat('en-AU', {
      timeZone,
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      second: seconds ? '2-digit' : undefined,
      hourCycle: 'h23',
      timeZoneName: 'short',
    })
    displayCache.set(key, f)
  }
  return f.format(new Date(instant))
}

/** formatDuration says how long a run took: "850 ms", "42 s", "3 min 5 s", "2 h 4 min". */
export function formatDuration(fromISO: string, toISO: string): string {
  const ms = new Date(toISO).getTime() - new Date(fromISO).getTime()
  if (!Number.isFinite(ms) || ms < 0) return '—'
  if (ms < 1000) return `${ms} ms`
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`
  const h = Math.floor(m / 60)
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`
  return `${Math.floor(h / 24)} d ${h % 24} h`
}
