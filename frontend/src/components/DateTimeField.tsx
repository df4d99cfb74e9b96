// A From/To field: the browser's datetime-local control (calendar and time picker, and typing
// into it), committing to the URL when the value settles rather than on every keystroke.
import { useEffect, useId, useRef, useState } from 'react'

interface Props {
  label: string
  value: string
  onCommit: (value: string) => void
  /** Extra hint after the label, e.g. the time zone. */
  hint?: string
  invalid?: string
  min?: string
  max?: string
}

const SETTLE_MS = 700

/** DateTimeField is a labelled datetime-local input with delayed commit. */
export function DateTimeField({ label, value, onCommit, hint, invalid, min, max }: Props) {
  const id = useId()
  const [draft, setDraft] = useState(value)
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const committed = useRef(value)

  // The URL is the truth: Back/Forward or a chart drag changes value from outside.
  const [shown, setShown] = useState(value)
  if (shown !== value) {
    setShown(value)
    setDraft(value)
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
    <div className={invalid ? 'field invalid' : 'field'}>
      <span className="label-row">
        <label htmlFor={id}>{label}</label>
        {hint && (
          <span id={`${id}-hint`} className="field-hint">
            {hint}
          </span>
        )}
      </span>
      <input
        id={id}
        type="datetime-local"
        step={60}
        value={draft}
        min={min || undefined}
        max={max || undefined}
        aria-invalid={invalid ? true : undefined}
        aria-describedby={[hint ? `${id}-hint` : '', invalid ? `${id}-err` : ''].filter(Boolean).join(' ') || undefined}
        onChange={(e) => {
          const v = e.target.value
          setDraft(v)
          clearTimeout(timer.current)
          // An empty value mid-typing is not a clear; the blur will commit a real clear.
          if (v) timer.current = setTimeout(() => commit(v), SETTLE_MS)
        }}
        onBlur={(e) => commit(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault()
            commit((e.target as HTMLInputElement).value)
          }
        }}
      />
      {invalid && (
        <span id={`${id}-err`} className="field-error" role="alert">
          {invalid}
        </span>
      )}
    </div>
  )
}
