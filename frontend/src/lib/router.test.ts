import { describe, expect, it } from 'vitest'
import { matchPath, safeNext } from './router'

describe('matchPath', () => {
  it('matches static and parameterised paths', () => {
    expect(matchPath('/', '/')).toEqual({})
    expect(matchPath('/exports', '/exports/')).toEqual({})
    expect(matchPath('/exports/:id', '/exports/RXhwb3J0OjE%3D')).toEqual({ id: 'RXhwb3J0OjE=' })
    expect(matchPath('/exports/:id', '/exports')).toBeNull()
    expect(matchPath('/tokens', '/exports')).toBeNull()
    expect(matchPath('/exports/:id', '/exports/%E0%A4%A')).toBeNull()
  })
})

describe('safeNext', () => {
  it('keeps same-origin paths with their query', () => {
    expect(safeNext('/exports/7')).toBe('/exports/7')
    expect(safeNext('/?from=2024-01-01T00%3A00')).toBe('/?from=2024-01-01T00%3A00')
  })

  it('refuses anything that could leave the site or loop', () => {
    for (const bad of [null, '', 'https://evil.example', '//evil.example', '/\\evil.example', 'javascript:alert(1)', '/signin?next=/']) {
      expect(safeNext(bad)).toBe('/')
    }
  })
})
