import { act, fireEvent, render, screen } from '@testing-library/react'
import { useState } from 'react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { UserTypeahead, userLabel, type UserOption } from './UserTypeahead'

const USERS: UserOption[] = [
  { id: '1', username: 'jdoe', displayName: 'Jane Doe', email: 'jane@school.test' },
  { id: '2', username: 'jsmith', displayName: 'John Smith' },
  { id: '3', username: 'jo', displayName: 'jo' },
]

function Harness({ search, onChange }: { search: (t: string) => Promise<UserOption[]>; onChange?: (v: unknown) => void }) {
  const [value, setValue] = useState<{ id: string; label: string } | null>(null)
  return (
    <>
      <UserTypeahead
        label="For User"
        value={value}
        search={search}
        onChange={(v) => {
          setValue(v)
          onChange?.(v)
        }}
      />
      <output data-testid="picked">{value ? `${value.id}:${value.label}` : 'none'}</output>
    </>
  )
}

async function typeAndSettle(input: HTMLElement, text: string) {
  fireEvent.change(input, { target: { value: text } })
  await act(async () => {
    vi.advanceTimersByTime(200)
  })
  await act(async () => {}) // let the search promise resolve
}

describe('UserTypeahead', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('is an ARIA combobox labelled "For User"', () => {
    render(<Harness search={async () => []} />)
    const input = screen.getByRole('combobox', { name: 'For User' })
    expect(input.getAttribute('aria-autocomplete')).toBe('list')
    expect(input.getAttribute('aria-expanded')).toBe('false')
  })

  it('debounces: one search per pause in typing, with the last text', async () => {
    const search = vi.fn(async (t: string) => USERS.filter((u) => u.username.startsWith(t)))
    render(<Harness search={search} />)
    const input = screen.getByRole('combobox')
    for (const t of ['j', 'jd', 'jdo']) {
      fireEvent.change(input, { target: { value: t } })
      await act(async () => {
        vi.advanceTimersByTime(100)
      })
    }
    expect(search).not.toHaveBeenCalled()
    await act(async () => {
      vi.advanceTimersByTime(200)
    })
    expect(search).toHaveBeenCalledTimes(1)
    expect(search).toHaveBeenCalledWith('jdo')
  })

  it('moves with the arrows, wraps, and picks with Enter', async () => {
    const onChange = vi.fn()
    render(<Harness search={async () => USERS} onChange={onChange} />)
    const input = screen.getByRole('combobox')
    await typeAndSettle(input, 'j')
    expect(input.getAttribute('aria-expanded')).toBe('true')
    const options = screen.getAllByRole('option')
    expect(options).toHaveLength(3)
    // The first option is active after results arrive.
    expect(input.getAttribute('aria-activedescendant')).toBe(options[0].id)
    fireEvent.keyDown(input, { key: 'ArrowDown' })
    expect(input.getAttribute('aria-activedescendant')).toBe(options[1].id)
    expect(options[1].getAttribute('aria-selected')).toBe('true')
    fireEvent.keyDown(input, { key: 'ArrowUp' })
    fireEvent.keyDown(input, { key: 'ArrowUp' })
    expect(input.getAttribute('aria-activedescendant')).toBe(options[2].id)
    fireEvent.keyDown(input, { key: 'Enter' })
    expect(onChange).toHaveBeenCalledWith({ id: '3', label: 'jo' })
    expect(input.getAttribute('aria-expanded')).toBe('false')
    expect((input as HTMLInputElement).value).toBe('jo')
  })

  it('Escape closes the list and restores the picked value; a second Escape clears', async () => {
    render(<Harness search={async () => USERS} />)
    const input = screen.getByRole('combobox') as HTMLInputElement
    await typeAndSettle(input, 'ja')
    fireEvent.keyDown(input, { key: 'Enter' })
    expect(screen.getByTestId('picked').textContent).toBe('1:Jane Doe (jdoe)')
    await typeAndSettle(input, 'zz')
    fireEvent.keyDown(input, { key: 'Escape' })
    expect(input.getAttribute('aria-expanded')).toBe('false')
    expect(input.value).toBe('Jane Doe (jdoe)')
    fireEvent.keyDown(input, { key: 'Escape' })
    expect(input.value).toBe('')
    expect(screen.getByTestId('picked').textContent).toBe('none')
  })

  it('says when nothing matches, and ignores answers to superseded searches', async () => {
    let resolveFirst: (u: UserOption[]) => void = () => {}
    const search = vi
      .fn<(t: string) => Promise<UserOption[]>>()
      .mockImplementationOnce(() => new Promise((r) => (resolveFirst = r)))
      .mockImplementationOnce(async () => [])
    render(<Harness search={search} />)
    const input = screen.getByRole('combobox')
    await typeAndSettle(input, 'a')
    await typeAndSettle(input, 'ab')
    await act(async () => resolveFirst(USERS))
    expect(screen.queryAllByRole('option')).toHaveLength(0)
    expect(screen.getByText('No users match “ab”')).toBeTruthy()
  })

  it('picks with the mouse', async () => {
    render(<Harness search={async () => USERS} />)
    await typeAndSettle(screen.getByRole('combobox'), 'j')
    fireEvent.click(screen.getAllByRole('option')[1])
    expect(screen.getByTestId('picked').textContent).toBe('2:John Smith (jsmith)')
  })

  it('labels users by display name and username', () => {
    expect(userLabel({ username: 'jdoe', displayName: 'Jane Doe' })).toBe('Jane Doe (jdoe)')
    expect(userLabel({ username: 'svc', displayName: '' })).toBe('svc')
  })
})
