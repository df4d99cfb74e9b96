// CSV files built in the browser (the People page's never-signed-in list). Cells are made safe
// for spreadsheets the same way the server's exports are, and the file starts with a byte-order
// mark so that Excel reads non-ASCII names as UTF-8.

/**
 * neutralise keeps a spreadsheet from running a cell as a formula, as the server's export does:
 * a cell whose first character other than white space is =, +, -, @ or their fullwidth forms, or
 * that starts with a tab or carriage return, gets a leading apostrophe.
 */
export function neutralise(s: string): string {
  if (s === '') return s
  if (s[0] === '\t' || s[0] === '\r') return `'${s}`
  for (const ch of s) {
    if (/\s/.test(ch) || ch === '\uFEFF') continue
    return '=+-@\uFF1D\uFF0B\uFF0D\uFF20'.includes(ch) ? `'${s}` : s
  }
  return s
}

/** csvCell quotes a cell when it holds a comma, a quote or a line break (RFC 4180). */
export function csvCell(value: string | number | null | undefined): string {
  const s = value == null ? '' : typeof value === 'number' ? String(value) : neutralise(value)
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** toCSV joins a header and rows into one CSV text with CR LF line ends and a byte-order mark. */
export function toCSV(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>): string {
  const lines = [header.map(csvCell).join(','), ...rows.map((r) => r.map(csvCell).join(','))]
  return `\uFEFF${lines.join('\r\n')}\r\n`
}

/** saveFile hands a text to the browser as a download with the given name. */
export function saveFile(text: string | Blob, name: string, type = 'text/csv;charset=utf-8'): void {
  const blob = typeof text === 'string' ? new Blob([text], { type }) : text
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  // The browser has the file once the click has been handled.
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
