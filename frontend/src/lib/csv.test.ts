import { describe, expect, it } from 'vitest'
import { csvCell, neutralise, toCSV } from './csv'

describe('neutralise', () => {
  it('puts an apostrophe before a cell a spreadsheet would run as a formula', () => {
    for (const s of ['=1+1', '+61 2 9999', '-5', '@SUM(A1)', '  =cmd', '\n=x', '\uFF1D1', '\uFEFF=x']) {
      expect(neutralise(s)).toBe(`'${s}`)
    }
    expect(neutralise('\tx')).toBe("'\tx")
    expect(neutralise('\rx')).toBe("'\rx")
  })

  it('leaves every other cell alone', () => {
    for (const s of ['', 'ava.nguyen', 'Ava = Nguyen', 'a-b', '   ', '1+1']) expect(neutralise(s)).toBe(s)
  })
})

describe('toCSV', () => {
  it('quotes commas, quotes and line breaks, keeps numbers as they are, and starts with a byte-order mark', () => {
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell('say "hi"')).toBe('"say ""hi"""')
    expect(csvCell('two\nlines')).toBe('"two\nlines"')
    expect(csvCell(-3)).toBe('-3')
    expect(csvCell(null)).toBe('')
    const text = toCSV(['username', 'email'], [
      ['ava', '=HYPERLINK("x")'],
      ['li, wei', null],
    ])
    expect(text).toBe('\uFEFFusername,email\r\nava,"\'=HYPERLINK(""x"")"\r\n"li, wei",\r\n')
  })
})
