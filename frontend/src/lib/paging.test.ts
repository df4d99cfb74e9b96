import { describe, expect, it } from 'vitest'
import { DEFAULT_VIEW } from './filter'
import { atFirstPage, pagerState } from './paging'

const page = (o: Partial<{ hasNextPage: boolean; hasPreviousPage: boolean }> = {}) => ({
  hasNextPage: false,
  hasPreviousPage: false,
  startCursor: 's',
  endCursor: 'e',
  ...o,
})

describe('pagerState', () => {
  it('on the first page only Next can work', () => {
    const s = pagerState(DEFAULT_VIEW, page({ hasNextPage: true }), 50)
    expect(s).toEqual({ canPrev: false, canNext: true, prev: null, next: { after: 'e', before: '' } })
  })

  it('paging forward trusts hasNextPage and knows it came from somewhere', () => {
    // Relay lets servers leave hasPreviousPage false when paging forward.
    const s = pagerState({ ...DEFAULT_VIEW, after: 'c' }, page({ hasNextPage: false, hasPreviousPage: false }), 50)
    expect(s.canPrev).toBe(true)
    expect(s.prev).toEqual({ before: 's', after: '' })
    expect(s.canNext).toBe(false)
  })

  it('paging back trusts hasPreviousPage and can always go forward again', () => {
    const s = pagerState({ ...DEFAULT_VIEW, before: 'c' }, page({ hasPreviousPage: true }), 50)
    expect(s.canPrev).toBe(true)
    expect(s.canNext).toBe(true)
    expect(s.next).toEqual({ after: 'e', before: '' })
  })

  it('an empty page reached by paging offers the way back to the start', () => {
    const s = pagerState({ ...DEFAULT_VIEW, after: 'c' }, page(), 0)
    expect(s).toMatchObject({ canPrev: true, canNext: false, prev: { after: '', before: '' } })
    expect(pagerState(DEFAULT_VIEW, page(), 0)).toMatchObject({ canPrev: false, canNext: false })
  })

  it('needs cursors to move', () => {
    const s = pagerState(DEFAULT_VIEW, { ...page({ hasNextPage: true }), endCursor: null }, 5)
    expect(s.canNext).toBe(false)
  })
})

describe('atFirstPage', () => {
  it('is true when paging back reached the start', () => {
    expect(atFirstPage({ ...DEFAULT_VIEW, before: 'c' }, page({ hasPreviousPage: false }))).toBe(true)
    expect(atFirstPage({ ...DEFAULT_VIEW, before: 'c' }, page({ hasPreviousPage: true }))).toBe(false)
    expect(atFirstPage(DEFAULT_VIEW, page())).toBe(false)
  })
})
