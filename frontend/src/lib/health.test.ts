import { describe, expect, it } from 'vitest'
import type { SyncHealthStatus } from '../gql/graphql'
import {
  attentionSummary,
  byAttention,
  flagExplanation,
  flagReason,
  flagsReason,
  needsAttention,
  nextRunBy,
  type FlaggedRun,
  type Thresholds,
} from './health'

const defaults: Thresholds = { deletePercent: 10, disablePercent: 10, updatePercent: 75, processedDropPercent: 50 }

function run(over: Partial<FlaggedRun>): FlaggedRun {
  return {
    flags: [],
    processed: 1350,
    updated: 0,
    deleted: 0,
    disabled: 0,
    errors: 0,
    flagBaseline: { runs: 10, processed: 1350, errors: 0 },
    ...over,
  }
}

describe('flag reasons', () => {
  it('says a mass delete with the count, the baseline and the threshold', () => {
    const r = run({ flags: ['MASS_DELETE'], deleted: 412 })
    expect(flagReason('MASS_DELETE', r, defaults)).toBe('deleted 412 of ~1,350, above 10%')
    expect(flagsReason(r, defaults)).toBe('Deleted 412 of ~1,350, above 10%')
  })

  it('rounds a half baseline and quotes each threshold of its own flag', () => {
    const r = run({ flags: ['MASS_DISABLE', 'MASS_UPDATE'], disabled: 40, updated: 1200, flagBaseline: { runs: 4, processed: 1349.5, errors: 0 } })
    expect(flagsReason(r, { ...defaults, disablePercent: 2 })).toBe('Disabled 40 of ~1,350, above 2%; updated 1,200 of ~1,350, above 75%')
  })

  it('says a processed drop and an error spike against the usual', () => {
    const r = run({ flags: ['PROCESSED_DROP', 'ERROR_SPIKE'], processed: 600, errors: 12, flagBaseline: { runs: 10, processed: 1350, errors: 1 } })
    expect(flagsReason(r, defaults)).toBe('Processed 600, usually ~1,350, 50% or more fewer; 12 errors, usually ~1, over 3×')
  })

  it('says a run that processed nothing without needing a baseline', () => {
    expect(flagsReason(run({ flags: ['NOTHING_PROCESSED'], processed: 0, flagBaseline: null }), defaults)).toBe('Processed nothing')
  })

  it('phrases a reason from the run alone when there is no baseline or no thresholds', () => {
    const r = run({ flags: ['MASS_DELETE'], deleted: 412, flagBaseline: null })
    expect(flagReason('MASS_DELETE', r, defaults)).toBe('deleted 412, above 10% of the usual')
    expect(flagReason('MASS_DELETE', r)).toBe('deleted 412, above the threshold of the usual')
  })

  it('explains a flag with the numbers the rule compared', () => {
    const r = run({ flags: ['MASS_DELETE'], deleted: 412 })
    expect(flagExplanation('MASS_DELETE', r, defaults)).toBe(
      "This run deleted 412 records. A run is flagged when it deletes at least 5 and more than 10% of the baseline, ~1,350 records processed (the median of the profile's 10 earlier successful runs), that is more than 135 records.",
    )
    const drop = run({ flags: ['PROCESSED_DROP'], processed: 600, flagBaseline: { runs: 3, processed: 1351, errors: 0 } })
    // 1,351 × 50% = 675.5: a run is flagged below it, so from 675 down.
    expect(flagExplanation('PROCESSED_DROP', drop, defaults)).toContain('that is fewer than 676 records')
    const spike = run({ flags: ['ERROR_SPIKE'], errors: 7 })
    expect(flagExplanation('ERROR_SPIKE', spike, defaults)).toContain('the median of 0 errors of the profile\'s 10 earlier successful runs (counted as 1), that is more than 3')
  })
})

describe('profile order and summary', () => {
  const p = (name: string, status: SyncHealthStatus) => ({ name, health: { status } })

  it('puts the profiles that need attention first, the most urgent first, then by name', () => {
    const ordered = byAttention([
      p('Alpha', 'HEALTHY'),
      p('Beta', 'WARNING'),
      p('Gamma', 'UNKNOWN'),
      p('Delta', 'QUIET'),
      p('Echo', 'FAILING'),
      p('Bravo', 'WARNING'),
    ])
    expect(ordered.map((x) => x.name)).toEqual(['Echo', 'Delta', 'Beta', 'Bravo', 'Gamma', 'Alpha'])
  })

  it('counts the profiles that need attention', () => {
    expect(needsAttention('UNKNOWN')).toBe(false)
    expect(attentionSummary(['HEALTHY', 'UNKNOWN'])).toBe('')
    expect(attentionSummary(['HEALTHY', 'QUIET'])).toBe('1 profile needs attention')
    expect(attentionSummary(['FAILING', 'WARNING', 'HEALTHY'])).toBe('2 profiles need attention')
  })

  it('expects the next run one interval after the last', () => {
    expect(nextRunBy('2026-12-06T01:00:00Z', 3600)?.toISOString()).toBe('2026-12-06T02:00:00.000Z')
    expect(nextRunBy('2026-12-06T01:00:00Z', null)).toBeNull()
    expect(nextRunBy(null, 3600)).toBeNull()
  })
})
