import { fireEvent, render, screen } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import { EventTypeSelect, summarize } from './EventTypeSelect'

describe('EventTypeSelect', () => {
  it('is labelled "For Event" and opens a panel of checkboxes by display name', () => {
    render(<EventTypeSelect label="For Event" value={[]} onChange={() => {}} />)
    const button = screen.getByRole('button', { name: /For Event/ })
    expect(button.getAttribute('aria-expanded')).toBe('false')
    fireEvent.click(button)
    expect(button.getAttribute('aria-expanded')).toBe('true')
    expect(screen.getAllByRole('checkbox')).toHaveLength(12)
    expect(screen.getByRole('checkbox', { name: /Authentication Failed/ })).toBeTruthy()
  })

  it('adds types in the taxonomy order, whatever the click order', () => {
    const onChange = vi.fn()
    render(<EventTypeSelect label="For Event" value={['AUTHENTICATION_FAILED']} onChange={onChange} />)
    fireEvent.click(screen.getByRole('button', { name: /For Event/ }))
    fireEvent.click(screen.getByRole('checkbox', { name: /Account Provisioning/ }))
    expect(onChange).toHaveBeenCalledWith(['ACCOUNT_PROVISIONING', 'AUTHENTICATION_FAILED'])
  })

  it('Escape closes the panel', () => {
    render(<EventTypeSelect label="For Event" value={[]} onChange={() => {}} />)
    const button = screen.getByRole('button', { name: /For Event/ })
    fireEvent.click(button)
    fireEvent.keyDown(screen.getAllByRole('checkbox')[0], { key: 'Escape' })
    expect(button.getAttribute('aria-expanded')).toBe('false')
  })

  it('summarizes the choice', () => {
    expect(summarize([])).toBe('All events')
    expect(summarize(['SYNC_ERROR'])).toBe('Sync Error')
    expect(summarize(['SYNC_ERROR', 'USER_CSV_FAILED'])).toBe('2 event types')
  })
})
