import { describe, expect, it } from 'vitest'
import { addDays, rangeFor, rangeOf } from './ranges'

describe('quick ranges', () => {
  it('moves calendar dates across month and year ends', () => {
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28')
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29')
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01')
  })

  it("uses the school's day, not the browser's or UTC's", () => {
    // 14:30 UTC on 5 March is already 6 March in Sydney (UTC+11).
    const now = new Date('2026-03-05T14:30:00Z')
    expect(rangeFor('today', now, 'Australia/Sydney')).toEqual({ from: '2026-03-06T00:00', to: '2026-03-07T00:00' })
    expect(rangeFor('today', now, 'America/Los_Angeles')).toEqual({ from: '2026-03-05T00:00', to: '2026-03-06T00:00' })
    expect(rangeFor('yesterday', now, 'Australia/Sydney')).toEqual({ from: '2026-03-05T00:00', to: '2026-03-06T00:00' })
    expect(rangeFor('7d', now, 'UTC')).toEqual({ from: '2026-02-27T00:00', to: '2026-03-06T00:00' })
    expect(rangeFor('30d', now, 'UTC')).toEqual({ from: '2026-02-04T00:00', to: '2026-03-06T00:00' })
    expect(rangeFor('custom', now, 'UTC')).toBeNull()
  })

  it('recognises a preset from its values, and anything else as custom', () => {
    const now = new Date('2026-03-05T14:30:00Z')
    expect(rangeOf('', '', now, 'UTC')).toBe('')
    expect(rangeOf('2026-02-27T00:00', '2026-03-06T00:00', now, 'UTC')).toBe('7d')
    expect(rangeOf('2026-02-27T00:00', '', now, 'UTC')).toBe('custom')
    expect(rangeOf('2026-03-05T00:00', '2026-03-06T00:00', now, 'Australia/Sydney')).toBe('yesterday')
  })
})
