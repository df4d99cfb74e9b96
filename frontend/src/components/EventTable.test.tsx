import { fireEvent, render, screen } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import type { EventFieldsFragment } from '../gql/graphql'
import { EventTable } from './EventTable'

const ev = (id: string, type: EventFieldsFragment['type'], typeName: string, errors = 0): EventFieldsFragment => ({
  id,
  type,
  typeName,
  startedAt: '2024-03-01T00:00:00Z',
  finishedAt: '2024-03-01T00:01:00Z',
  processed: 10,
  added: 1,
  updated: 0,
  deleted: 0,
  disabled: 0,
  errors,
  service: null,
  flags: [],
  flagBaseline: null,
  user: null,
  syncProfile: { id: 'p', name: 'LDAP Staff', kind: 'LDAP' },
})

const rows = [
  { event: ev('1', 'USER_CSV_FAILED', 'User CSV Failed', 3), isNew: true },
  { event: ev('2', 'ACCOUNT_SYNCHRONIZATION', 'Account Synchronization') },
  { event: ev('3', 'USER_CSV_PROCESSED_WITH_ERRORS', 'User CSV Processed With Errors', 1) },
]

describe('EventTable', () => {
  it('says the outcome in words as well as colour, and marks new rows', () => {
    render(<EventTable rows={rows} timeZone="UTC" order="desc" onToggleOrder={() => {}} onOpen={() => {}} />)
    expect(screen.getByText('(Failed)')).toBeTruthy()
    expect(screen.getByText('(Succeeded)')).toBeTruthy()
    expect(screen.getByText('(Completed with errors)')).toBeTruthy()
    expect(screen.getByText('New')).toBeTruthy()
    expect(screen.getByRole('columnheader', { name: /Date and Time/ }).getAttribute('aria-sort')).toBe('descending')
  })

  it('is one tab stop; arrows move between rows and Enter opens one', () => {
    const onOpen = vi.fn()
    render(<EventTable rows={rows} timeZone="UTC" order="desc" onToggleOrder={() => {}} onOpen={onOpen} />)
    const trs = screen.getAllByRole('row').slice(1)
    expect(trs.map((r) => r.tabIndex)).toEqual([0, -1, -1])
    trs[0].focus()
    fireEvent.keyDown(trs[0], { key: 'ArrowDown' })
    expect(document.activeElement).toBe(trs[1])
    expect(trs.map((r) => r.tabIndex)).toEqual([-1, 0, -1])
    fireEvent.keyDown(trs[1], { key: 'End' })
    expect(document.activeElement).toBe(trs[2])
    fireEvent.keyDown(trs[2], { key: 'Enter' })
    expect(onOpen).toHaveBeenCalledWith(rows[2].event)
  })

  it('toggles the sort order from the Date and Time header', () => {
    const onToggle = vi.fn()
    render(<EventTable rows={rows} timeZone="UTC" order="asc" onToggleOrder={onToggle} onOpen={() => {}} />)
    fireEvent.click(screen.getByRole('button', { name: /Date and Time/ }))
    expect(onToggle).toHaveBeenCalled()
  })

  it('lets usernames wrap only after their dots, so a narrow User column keeps names readable', () => {
    const withUser = { event: { ...ev('9', 'AUTHENTICATION_FAILED', 'Authentication Failed'), user: { id: 'u', username: 'mason.ryan2', displayName: 'Mason Ryan' } } }
    render(<EventTable rows={[withUser]} timeZone="UTC" order="desc" onToggleOrder={() => {}} onOpen={() => {}} />)
    const name = screen.getByTitle('Mason Ryan')
    expect(name.textContent).toBe('mason.ryan2')
    expect(name.querySelectorAll('wbr')).toHaveLength(1)
    expect(name.innerHTML).toBe('mason.<wbr>ryan2')
  })

  it('marks a flagged run with a badge and its reason on one line', () => {
    const flagged = {
      event: {
        ...ev('7', 'ACCOUNT_SYNCHRONIZATION', 'Account Synchronization'),
        processed: 1300,
        deleted: 412,
        flags: ['MASS_DELETE' as const],
        flagBaseline: { runs: 10, processed: 1350, errors: 0 },
      },
    }
    const thresholds = { deletePercent: 10, disablePercent: 10, updatePercent: 75, processedDropPercent: 50 }
    render(<EventTable rows={[flagged, rows[1]]} timeZone="UTC" order="desc" onToggleOrder={() => {}} onOpen={() => {}} thresholds={thresholds} />)
    const trs = screen.getAllByRole('row').slice(1)
    expect(trs[0].className).toContain('flagged')
    expect(trs[1].className).not.toContain('flagged')
    expect(trs[0].querySelector('.flag-badge')?.textContent).toBe('Flagged: Mass delete')
    expect(trs[0].querySelector('.flag-reason')?.textContent).toBe('Deleted 412 of ~1,350, above 10%')
    expect(trs[1].querySelector('.flag-badge')).toBeNull()
  })
})
