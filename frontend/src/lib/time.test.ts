import { describe, expect, it } from 'vitest'
import { formatDateTime, formatDuration, instantToLocal, localToInstant, zoneOffsetMs } from './time'

describe('localToInstant', () => {
  it('reads wall-clock time in the given zone', () => {
    expect(localToInstant('2024-01-15T09:30', 'UTC')?.toISOString()).toBe('2024-01-15T09:30:00.000Z')
    expect(localToInstant('2024-01-15T09:30', 'Australia/Sydney')?.toISOString()).toBe('2024-01-14T22:30:00.000Z')
    expect(localToInstant('2024-07-15T09:30', 'America/New_York')?.toISOString()).toBe('2024-07-15T13:30:00.000Z')
    expect(localToInstant('2024-07-15T09:30:15', 'Asia/Kolkata')?.toISOString()).toBe('2024-07-15T04:00:15.000Z')
  })

  it('moves a time in a spring-forward gap past the gap', () => {
    // Sydney skips 02:00–03:00 on 6 Oct 2024; 02:30 does not exist there.
    expect(localToInstant('2024-10-06T02:30', 'Australia/Sydney')?.toISOString()).toBe('2024-10-05T16:30:00.000Z')
    expect(instantToLocal(localToInstant('2024-10-06T02:30', 'Australia/Sydney')!, 'Australia/Sydney')).toBe('2024-10-06T03:30')
  })

  it('takes the earlier of two instants in the repeated hour', () => {
    // Sydney repeats 02:00–03:00 on 7 Apr 2024: 02:30 is first at +11:00.
    expect(localToInstant('2024-04-07T02:30', 'Australia/Sydney')?.toISOString()).toBe('2024-04-06T15:30:00.000Z')
  })

  it('rejects malformed input', () => {
    for (const bad of ['', '2024-01-15', '2024-13-01T00:00', '2024-01-15T25:00', 'noon']) {
      expect(localToInstant(bad, 'UTC')).toBeNull()
    }
  })
})

describe('instantToLocal', () => {
  it('is the inverse of localToInstant away from DST changes', () => {
    for (const tz of ['UTC', 'Australia/Sydney', 'America/Los_Angeles', 'Europe/London']) {
      for (const local of ['2024-01-01T00:00', '2024-06-30T23:59', '2024-03-15T12:34']) {
        expect(instantToLocal(localToInstant(local, tz)!, tz)).toBe(local)
      }
    }
  })
})

describe('zoneOffsetMs', () => {
  it('knows daylight time', () => {
    expect(zoneOffsetMs(Date.UTC(2024, 0, 1), 'Australia/Sydney')).toBe(11 * 3600_000)
    expect(zoneOffsetMs(Date.UTC(2024, 6, 1), 'Australia/Sydney')).toBe(10 * 3600_000)
  })
})

describe('formatDateTime', () => {
  it('shows the time in the zone with its abbreviation', () => {
    const s = formatDateTime('2024-01-14T22:30:05Z', 'Australia/Sydney')
    expect(s).toContain('09:30:05')
    expect(s).toContain('15 Jan 2024')
    expect(s).toMatch(/AEDT|GMT\+11/)
  })
})

describe('formatDuration', () => {
  it.each([
    ['2024-01-01T00:00:00Z', '2024-01-01T00:00:00.250Z', '250 ms'],
    ['2024-01-01T00:00:00Z', '2024-01-01T00:00:42Z', '42 s'],
    ['2024-01-01T00:00:00Z', '2024-01-01T00:03:05Z', '3 min 5 s'],
    ['2024-01-01T00:00:00Z', '2024-01-01T00:05:00Z', '5 min'],
    ['2024-01-01T00:00:00Z', '2024-01-01T02:04:00Z', '2 h 4 min'],
    ['2024-01-01T00:00:00Z', '2024-01-04T03:00:00Z', '3 d 3 h'],
    ['2024-01-01T00:00:10Z', '2024-01-01T00:00:00Z', '—'],
  ])('%s → %s is %s', (a, b, want) => {
    expect(formatDuration(a, b)).toBe(want)
  })
})
