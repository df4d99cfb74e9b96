import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_LOCALE, formatInt, formatLifetime, plural, setNumberLocale } from './format'

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

describe('setNumberLocale', () => {
  afterEach(() => setNumberLocale(DEFAULT_LOCALE))

  it("groups thousands in the school's locale", () => {
    expect(formatInt(1234567)).toBe('1,234,567')
    setNumberLocale('de-DE')
    expect(formatInt(1234567)).toBe('1.234.567')
    expect(plural(12345, 'event')).toBe('12.345 events')
    setNumberLocale('fr-FR')
    expect(formatInt(12345).replace(/\s/g, ' ')).toBe('12 345')
  })

  it('keeps the current format for a tag that is not a language tag', () => {
    setNumberLocale('de-DE')
    setNumberLocale('not a tag!')
    expect(formatInt(12345)).toBe('12.345')
  })
})
