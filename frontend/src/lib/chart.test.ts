import { describe, expect, it } from 'vitest'
import { dragToRange, isClick, niceMax, spanOf } from './chart'

const days = ['2024-03-01T00:00:00Z', '2024-03-02T00:00:00Z', '2024-03-03T00:00:00Z', '2024-03-04T00:00:00Z']

describe('dragToRange', () => {
  it('snaps a drag outwards to whole buckets', () => {
    // 400px wide, 4 buckets of 100px: 150→260 touches buckets 1 and 2.
    const r = dragToRange(150, 260, 400, days, 'DAY')!
    expect(r.from.toISOString()).toBe('2024-03-02T00:00:00.000Z')
    expect(r.to.toISOString()).toBe('2024-03-04T00:00:00.000Z')
  })

  it('works the same dragging right to left', () => {
    expect(dragToRange(260, 150, 400, days, 'DAY')).toEqual(dragToRange(150, 260, 400, days, 'DAY'))
  })

  it('selects the single bucket under a click', () => {
    const r = dragToRange(120, 120, 400, days, 'DAY')!
    expect(r.from.toISOString()).toBe('2024-03-02T00:00:00.000Z')
    expect(r.to.toISOString()).toBe('2024-03-03T00:00:00.000Z')
  })

  it('does not spill into the next bucket when ending on a boundary', () => {
    const r = dragToRange(0, 200, 400, days, 'DAY')!
    expect(r.to.toISOString()).toBe('2024-03-03T00:00:00.000Z')
  })

  it('ends the last bucket one step after its start, and clamps outside drags', () => {
    const r = dragToRange(-50, 900, 400, days, 'DAY')!
    expect(r.from.toISOString()).toBe('2024-03-01T00:00:00.000Z')
    expect(r.to.toISOString()).toBe('2024-03-05T00:00:00.000Z')
    const h = dragToRange(399, 400, 400, ['2024-03-01T10:00:00Z'], 'HOUR')!
    expect(h.to.toISOString()).toBe('2024-03-01T11:00:00.000Z')
  })

  it('uses real bucket starts, so a 23-hour DST day snaps exactly', () => {
    const dst = ['2024-10-05T14:00:00Z', '2024-10-06T13:00:00Z', '2024-10-07T13:00:00Z']
    const r = dragToRange(0, 10, 300, dst, 'DAY')!
    expect(r.to.toISOString()).toBe('2024-10-06T13:00:00.000Z')
  })

  it('gives nothing for no buckets or no width', () => {
    expect(dragToRange(0, 10, 400, [], 'DAY')).toBeNull()
    expect(dragToRange(0, 10, 0, days, 'DAY')).toBeNull()
  })
})

describe('helpers', () => {
  it('niceMax rounds up to 1, 2 or 5 × 10ⁿ', () => {
    expect([0, 1, 3, 7, 10, 11, 180, 260, 999].map(niceMax)).toEqual([1, 1, 5, 10, 10, 20, 200, 500, 1000])
  })

  it('isClick tolerates a jitter of a few pixels', () => {
    expect(isClick(10, 12)).toBe(true)
    expect(isClick(10, 20)).toBe(false)
  })

  it('spanOf covers first start to last end', () => {
    expect(spanOf(days, 'DAY')).toEqual({ start: Date.parse(days[0]), end: Date.parse('2024-03-05T00:00:00Z') })
    expect(spanOf([], 'WEEK')).toBeNull()
  })
})
