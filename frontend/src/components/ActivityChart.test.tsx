import { fireEvent, render, screen } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import { ActivityChart } from './ActivityChart'

const bucket = (start: string, added = 1) => ({
  startsAt: start,
  events: 1,
  added,
  updated: 0,
  deleted: 0,
  disabled: 0,
  errors: 0,
  failedLogins: 0,
})

describe('ActivityChart', () => {
  it('describes itself and turns a drag into a From/To range of whole buckets', () => {
    const onRange = vi.fn()
    const buckets = ['2024-03-01', '2024-03-02', '2024-03-03', '2024-03-04'].map((d) => bucket(`${d}T00:00:00Z`))
    const { container } = render(<ActivityChart buckets={buckets} step="DAY" timeZone="UTC" onRange={onRange} />)
    expect(screen.getByRole('img').getAttribute('aria-label')).toMatch(/Activity per day from 1 Mar 2024 to 4 Mar 2024: 4 changes/)
    const svg = container.querySelector('svg')!
    // The SVG is drawn 800 wide (no ResizeObserver here); the plot starts 40px in and is 752px wide.
    svg.getBoundingClientRect = () => ({ left: 0, top: 0, width: 800, height: 150, right: 800, bottom: 150, x: 0, y: 0, toJSON() {} })
    const hit = container.querySelector('.chart-hit')!
    fireEvent.pointerDown(hit, { clientX: 40 + 200, button: 0, pointerId: 1 })
    fireEvent.pointerMove(hit, { clientX: 40 + 400, pointerId: 1 })
    expect(container.querySelector('.selection')).not.toBeNull()
    fireEvent.pointerUp(hit, { clientX: 40 + 400, pointerId: 1 })
    expect(onRange).toHaveBeenCalledTimes(1)
    const [from, to] = onRange.mock.calls[0]
    expect(from.toISOString()).toBe('2024-03-02T00:00:00.000Z')
    expect(to.toISOString()).toBe('2024-03-04T00:00:00.000Z')
  })

  it('never repeats an axis label, even when the top of the axis is 1', () => {
    const { container } = render(
      <ActivityChart buckets={[bucket('2024-03-01T00:00:00Z', 1)]} step="DAY" timeZone="UTC" onRange={() => {}} />,
    )
    const labels = [...container.querySelectorAll('text.axis-label[text-anchor="end"]')].map((t) => t.textContent)
    expect(labels).toEqual(['0', '1'])
  })

  it('says so when there is no activity', () => {
    render(<ActivityChart buckets={[]} step="HOUR" timeZone="UTC" onRange={() => {}} />)
    expect(screen.getAllByText('No activity in this range.').length).toBeGreaterThan(0)
  })
})
