// "For User": a typeahead over the school's users, following the WAI-ARIA combobox pattern
// (editable combobox with list autocomplete): arrows move, Enter picks, Escape closes or clears.
import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react'

/** UserOption is one user the typeahead can offer. */
export interface UserOption {
  id: string
  username: string
  displayName: string
  email?: string
}

/** userLabel is how a picked user reads in the input and in the URL. */
export function userLabel(u: Pick<UserOption, 'username' | 'displayName'>): string {
  return u.displayName && u.displayName !== u.username ? `${u.displayName} (${u.username})` : u.username
}

interface Props {
  label: string
  /** The picked user, or null for everyone. */
  value: { id: string; label: string } | null
  onChange: (user: { id: string; label: string } | null) => void
  /** search returns matching users; it is called at most once per pause in typing. */
  search: (term: string) => Promise<UserOption[]>
  debounceMs?: number
  placeholder?: string
  /** after is shown under the control, e.g. a link to the picked person's page. */
  after?: ReactNode
}

type Phase = 'idle' | 'searching' | 'done' | 'error'

/** UserTypeahead is an accessible, debounced user picker. */
export function UserTypeahead({ label, value, onChange, search, debounceMs = 200, placeholder = 'All users', after }: Props) {
  const id = useId()
  const listId = `${id}-list`
  const [text, setText] = useState(value?.label ?? '')
  const [open, setOpen] = useState(false)
  const [options, setOptions] = useState<UserOption[]>([])
  const [active, setActive] = useState(-1)
  const [phase, setPhase] = useState<Phase>('idle')
  const seq = useRef(0)
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const inputRef = useRef<HTMLInputElement>(null)

  // A value changed from outside (Back, a bookmark) shows in the input.
  const outside = `${value?.id ?? ''}\u0000${value?.label ?? ''}`
  const [shown, setShown] = useState(outside)
  if (shown !== outside) {
    setShown(outside)
    setText(value?.label ?? '')
  }

  useEffect(() => () => clearTimeout(timer.current), [])

  function runSearch(term: string) {
    clearTimeout(timer.current)
    const mine = ++seq.current
    if (!term.trim()) {
      setOptions([])
      setPhase('idle')
      setActive(-1)
      return
    }
    setPhase('searching')
    timer.current = setTimeout(() => {
      search(term.trim()).then(
        (found) => {
          if (mine !== seq.current) return // a newer search superseded this one
          setOptions(found)
          setActive(found.length > 0 ? 0 : -1)
          setPhase('done')
        },
        () => {
          if (mine !== seq.current) return
          setOptions([])
          setActive(-1)
          setPhase('error')
        },
      )
    }, debounceMs)
  }

  function pick(u: UserOption) {
    const picked = { id: u.id, label: userLabel(u) }
    setText(picked.label)
    close()
    if (picked.id !== value?.id) onChange(picked)
  }

  function clear() {
    setText('')
    close()
    setOptions([])
    if (value) onChange(null)
    inputRef.current?.focus()
  }

  function close() {
    clearTimeout(timer.current)
    seq.current++
    setOpen(false)
    setActive(-1)
  }

  function onKeyDown(e: KeyboardEvent<HTMLInputElement>) {
    switch (e.key) {
      case 'ArrowDown':
        e.preventDefault()
        if (!open) {
          setOpen(true)
          if (options.length === 0) runSearch(text === value?.label ? '' : text)
          else setActive(0)
        } else if (options.length > 0) {
          setActive((a) => (a + 1) % options.length)
        }
        break
      case 'ArrowUp':
        e.preventDefault()
        if (open && options.length > 0) setActive((a) => (a <= 0 ? options.length - 1 : a - 1))
        break
      case 'Home':
      case 'End':
        if (open && options.length > 0) {
          e.preventDefault()
          setActive(e.key === 'Home' ? 0 : options.length - 1)
        }
        break
      case 'Enter':
        if (open && active >= 0 && options[active]) {
          e.preventDefault()
          pick(options[active])
        } else if (!text.trim()) {
          e.preventDefault()
          clear()
        }
        break
      case 'Escape':
        if (open) {
          e.preventDefault()
          close()
          setText(value?.label ?? '')
        } else if (text) {
          e.preventDefault()
          clear()
        }
        break
      case 'Tab':
        if (open) close()
        break
    }
  }

  const showList = open && (phase !== 'idle' || options.length > 0)
  const activeId = showList && active >= 0 ? `${id}-opt-${active}` : undefined

  return (
    <div className="field combobox">
      <label htmlFor={`${id}-input`}>{label}</label>
      <div className="combobox-control">
        <input
          ref={inputRef}
          id={`${id}-input`}
          type="text"
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={showList}
          aria-controls={listId}
          aria-activedescendant={activeId}
          autoComplete="off"
          spellCheck={false}
          placeholder={placeholder}
          value={text}
          onChange={(e) => {
            setText(e.target.value)
            setOpen(true)
            runSearch(e.target.value)
          }}
          onKeyDown={onKeyDown}
          onBlur={() => {
            // Leaving the field with the text erased clears the filter; otherwise keep the pick.
            if (!text.trim() && value) onChange(null)
            else if (value && text !== value.label) setText(value.label)
            close()
          }}
        />
        {(text || value) && (
          <button type="button" className="combobox-clear" aria-label={`Clear ${label}`} onMouseDown={(e) => e.preventDefault()} onClick={clear}>
            <svg viewBox="0 0 16 16" aria-hidden="true">
              <path d="M4 4l8 8M12 4l-8 8" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
            </svg>
          </button>
        )}
      </div>
      {after}
      <ul id={listId} role="listbox" aria-label={`${label} suggestions`} className="combobox-list" hidden={!showList}>
        {phase === 'searching' && options.length === 0 && (
          <li className="combobox-note" aria-live="polite">
            Searching…
          </li>
        )}
        {phase === 'done' && options.length === 0 && <li className="combobox-note">No users match “{text.trim()}”</li>}
        {phase === 'error' && <li className="combobox-note error">Couldn't search users. Try again.</li>}
        {options.map((u, i) => (
          <li
            key={u.id}
            id={`${id}-opt-${i}`}
            role="option"
            aria-selected={i === active}
            className={i === active ? 'combobox-option active' : 'combobox-option'}
            onMouseDown={(e) => e.preventDefault()}
            onMouseEnter={() => setActive(i)}
            onClick={() => pick(u)}
          >
            <span className="option-main">{u.displayName || u.username}</span>
            <span className="option-sub">
              {u.username}
              {u.email ? ` · ${u.email}` : ''}
            </span>
          </li>
        ))}
      </ul>
    </div>
  )
}
