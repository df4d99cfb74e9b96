import { describe, expect, it } from 'vitest'
import { DEFAULT_VIEW, parseView, serializeView, toOrder, toPageArgs, toReportFilter, withChange } from './filter'

describe('parseView / serializeView', () => {
  it('gives the default view for an empty query string and writes nothing for it', () => {
    expect(parseView('')).toEqual(DEFAULT_VIEW)
    expect(serializeView(DEFAULT_VIEW)).toBe('')
  })

  it('round-trips every field', () => {
    const v = {
      ...DEFAULT_VIEW,
      from: '2024-03-01T08:00',
      to: '2024-03-02T17:30',
      userID: 'u1',
      userLabel: 'jdoe',
      syncProfileID: 'p9',
      types: ['USER_CSV_FAILED' as const, 'AUTHENTICATION_FAILED' as const],
      activeOnly: false,
      flaggedOnly: true,
      order: 'asc' as const,
      pageSize: 100,
      after: 'abc',
    }
    const s = serializeView(v)
    expect(s).toBe(
      '?from=2024-03-01T08%3A00&to=2024-03-02T17%3A30&user=u1&userName=jdoe&profile=p9&type=USER_CSV_FAILED&type=AUTHENTICATION_FAILED&all=1&flagged=1&order=asc&size=100&after=abc',
    )
    expect(parseView(s)).toEqual(v)
  })

  it('drops malformed and unknown values', () => {
    const v = parseView('?from=yesterday&to=2024-13&type=NOPE&type=SYNC_ERROR&size=7&order=sideways&userName=x')
    expect(v.from).toBe('')
    expect(v.to).toBe('')
    expect(v.types).toEqual(['SYNC_ERROR'])
    expect(v.pageSize).toBe(50)
    expect(v.order).toBe('desc')
    expect(v.userLabel).toBe('')
  })

  it('keeps event types in the taxonomy order whatever the URL order, and accepts commas', () => {
    expect(parseView('?type=AUTHENTICATION,ACCOUNT_PROVISIONING').types).toEqual([
      'ACCOUNT_PROVISIONING',
      'AUTHENTICATION',
    ])
  })

  it('never holds both cursors', () => {
    const v = parseView('?after=a&before=b')
    expect(v.after).toBe('a')
    expect(v.before).toBe('')
  })
})

describe('withChange', () => {
  it('returns to the first page when the filter changes', () => {
    const v = { ...DEFAULT_VIEW, after: 'c1' }
    expect(withChange(v, { activeOnly: false })).toMatchObject({ activeOnly: false, after: '', before: '' })
  })

  it('keeps the cursor change itself', () => {
    expect(withChange(DEFAULT_VIEW, { after: 'c2', before: '' }).after).toBe('c2')
  })
})

describe('toReportFilter', () => {
  it('reads From/To as wall-clock time in the school zone', () => {
    const v = { ...DEFAULT_VIEW, from: '2024-03-01T08:00', to: '2024-07-01T08:00' }
    // Sydney is UTC+11 in March (daylight time) and UTC+10 in July.
    expect(toReportFilter(v, 'Australia/Sydney')).toEqual({
      activeOnly: true,
      from: '2024-02-29T21:00:00.000Z',
      to: '2024-06-30T22:00:00.000Z',
    })
  })

  it('sends only what narrows the report', () => {
    const v = { ...DEFAULT_VIEW, userID: 'u', syncProfileID: 'p', types: ['SYNC_ERROR' as const], activeOnly: false }
    expect(toReportFilter(v, 'UTC')).toEqual({ activeOnly: false, userID: 'u', syncProfileID: 'p', types: ['SYNC_ERROR'] })
  })

  it('asks for flagged runs only when the switch is on, and never for unflagged ones', () => {
    expect(toReportFilter({ ...DEFAULT_VIEW, flaggedOnly: true }, 'UTC')).toEqual({ activeOnly: true, flagged: true })
    expect(toReportFilter(DEFAULT_VIEW, 'UTC')).not.toHaveProperty('flagged')
  })
})

describe('paging arguments and order', () => {
  it('pages forward from the start, forward after a cursor and backward before one', () => {
    expect(toPageArgs(DEFAULT_VIEW)).toEqual({ first: 50 })
    expect(toPageArgs({ ...DEFAULT_VIEW, after: 'x' })).toEqual({ first: 50, after: 'x' })
    expect(toPageArgs({ ...DEFAULT_VIEW, before: 'y', pageSize: 25 })).toEqual({ last: 25, before: 'y' })
  })

  it('orders by date finished', () => {
    expect(toOrder(DEFAULT_VIEW)).toEqual({ field: 'DATE_FINISHED', direction: 'DESC' })
    expect(toOrder({ ...DEFAULT_VIEW, order: 'asc' })).toEqual({ field: 'DATE_FINISHED', direction: 'ASC' })
  })
})
