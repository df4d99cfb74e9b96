// The details search: free text the server looks for in each event's details and its
// problems' messages. Typing settles for a moment before it goes to the URL (and the server).
import { useEffect, useId, useRef, useState } from 'react'
import { MAX_SEARCH } from '../lib/filter'

const SETTLE_MS = 400

interface Props {
  value: string
  onCommit: (value: string) => void
}

/** SearchField is the labelled search box of the filter bar. */
export function SearchField({ value, onCommit }: Props) {
  const id = useId()
  const [draft, setDraft] = useState(value)
  const committed = useRef(value)
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)

  // Back/Forward or Reset change the value from outside; our own commit coming back must
  // not undo what was typed since.
  const [shown, setShown] = useState(value)
  if (shown !== value) {
    setShown(value)
    if (value !== committed.current) setDraft(value)
  }
  useEffect(() => {
    committed.current = value
  }, [value])
  useEffect(() => () => clearTimeout(timer.current), [])

  function commit(v: string) {
    clearTimeout(timer.current)
    if (v === committed.current) return
    committed.current = v
    onCommit(v)
  }

  return (
    <div className="field search-field">
      <span className="label-row">
        <label htmlFor={id}>Search details</label>
        <span id={`${id}-hint`} className="field-hint">
          (and problems)
        </span>
      </span>
      <input
        id={id}
        type="search"
        value={draft}
        maxLength={MAX_SEARCH}
        placeholder="e.g. LDAP bind, email"
        aria-describedby={`${id}-hint`}
        onChange={(e) => {
          const v = e.target.value
          setDraft(v)
          clearTimeout(timer.current)
          timer.current = setTimeout(() => commit(v), SETTLE_MS)
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit((e.target as HTMLInputElement).value)
        }}
        onBlur={(e) => commit(e.target.value)}
      />
    </div>
  )
}
