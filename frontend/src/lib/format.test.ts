import { describe, expect, it } from 'vitest'
import { formatInt, formatLifetime } from './format'

describe('format', () => {
  it('says a link lifetime in its largest whole unit', () => {
    expect(formatLifetime(7 * 86_400)).toBe('7 days')
    expect(formatLifetime(86_400)).toBe('1 day')
    expect(formatLifetime(36 * 3_600)).toBe('36 hours')
    expect(formatLifetime(90 * 60)).toBe('90 minutes')
    expect(formatLifetime(45)).toBe('45 seconds')
  })

  it('groups thousands', () => {
    expect(formatInt(1234567)).toBe('1,234,567')
  })
})
