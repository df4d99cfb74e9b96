// A From/To field: the browser's datetime-local control (calendar and time picker, and typing
// into it), committing to the URL when the value settles rather than on every keystroke.
import { useEffect, useId, useRef, useState, type Ref } from 'react'

interface Props {
  label: string
  value: string
  onCommit: (value: string) => void
  /** Extra hint after the label, e.g. the time zone. */
  hint?: string
  /** Marks the field invalid (aria-invalid) without a message of its own. */
  invalid?: boolean
  /** The message to show under the field, tied to it with aria-describedby. */
  error?: string
  /** Called on every change, before the value settles, so a range error can show at once. */
  onDraft?: (value: string) => void
  inputRef?: Ref<HTMLInputElement>
}

const SETTLE_MS = 700

// Years bounded to four digits make Chromium's year segment move on after the fourth digit,
// so a date is typed digit by digit without arrow keys (unbounded, it takes six digits).
const MIN = '1970-01-01T00:00'
const MAX = '9999-12-31T23:59'

/** plausible reports whether a value is complete enough to commit while still typing. */
function plausible(v: string): boolean {
  return v >= MIN && v <= MAX
}

/** DateTimeField is a labelled datetime-local input with delayed commit. */
export function DateTimeField({ label, value, onCommit, hint, invalid, error, onDraft, inputRef }: Props) {
  const id = useId()
  const [draft, setDraft] = useState(value)
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const committed = useRef(value)

  // The URL is the truth: Back/Forward or a chart drag changes value from outside. Our own
  // commit coming back must not reset the draft, or the digits typed since would be lost.
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
    <div className={invalid || error ? 'field invalid' : 'field'}>
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
        ref={inputRef}
        min={MIN}
        max={MAX}
        aria-invalid={invalid || error ? true : undefined}
        aria-describedby={[hint ? `${id}-hint` : '', error ? `${id}-err` : ''].filter(Boolean).join(' ') || undefined}
        onChange={(e) => {
          const v = e.target.value
          setDraft(v)
          onDraft?.(v)
          clearTimeout(timer.current)
          // An empty value mid-typing is not a clear, and a year of one digit is not a year
          // yet; the blur (or Enter) commits whatever the field holds then.
          if (v && plausible(v)) timer.current = setTimeout(() => commit(v), SETTLE_MS)
        }}
        onBlur={(e) => commit(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault()
            commit((e.target as HTMLInputElement).value)
          }
        }}
      />
      {error && (
        <span id={`${id}-err`} className="field-error" role="alert">
          {error}
        </span>
      )}
    </div>
  )
}
