import { render, screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { RunsChart, runsChartLabel, type ChartRun } from './RunsChart'

const run = (i: number, over: Partial<ChartRun> = {}): ChartRun => ({
  id: String(i),
  type: 'ACCOUNT_SYNCHRONIZATION',
  finishedAt: `2026-12-0${i}T01:00:00Z`,
  processed: 1000 + i,
  flags: [],
  ...over,
})

describe('RunsChart', () => {
  // Newest first, as the API pages them.
  const runs = [run(4, { type: 'SYNC_ERROR', processed: 0 }), run(3, { flags: ['MASS_DELETE'] }), run(2), run(1)]

  it('says in words what the bars show', () => {
    expect(runsChartLabel(runs)).toBe('Records processed by the last 4 runs: latest 0, most 1,003; 1 flagged, 1 failed')
    expect(runsChartLabel([])).toBe('No runs yet')
  })

  it('draws the oldest run on the left and marks the flagged and the failed ones', () => {
    const { container } = render(<RunsChart runs={runs} timeZone="UTC" slots={30} />)
    expect(screen.getByRole('img').getAttribute('aria-label')).toContain('1 flagged')
    const bars = [...container.querySelectorAll('g.run')]
    expect(bars.map((g) => g.querySelector('title')?.textContent)).toEqual([
      '1 Dec 2026, 01:00 UTC: 1,001 processed',
      '2 Dec 2026, 01:00 UTC: 1,002 processed',
      '3 Dec 2026, 01:00 UTC: 1,003 processed — Mass delete',
      '4 Dec 2026, 01:00 UTC: 0 processed — Sync Error',
    ])
    expect(bars.map((g) => g.getAttribute('class'))).toEqual(['run', 'run', 'run flagged', 'run failed'])
    expect(container.querySelectorAll('.run-marker')).toHaveLength(1)
    expect(container.querySelectorAll('.run-failed-marker')).toHaveLength(1)
  })
})
