// "For Event": pick any number of event types by display name. A button opens a panel of
// checkboxes; Escape or a click outside closes it. No types picked means every type.
import { useEffect, useId, useRef, useState } from 'react'
import type { EventType } from '../gql/graphql'
import { EVENT_TYPES, outcomeOf } from '../lib/eventTypes'
import { OutcomeIcon } from './OutcomeIcon'

interface Props {
  label: string
  value: EventType[]
  onChange: (types: EventType[]) => void
}

/** summarize says which types are picked, briefly, for the closed control. */
export function summarize(value: readonly EventType[]): string {
  if (value.length === 0) return 'All events'
  if (value.length === 1) return EVENT_TYPES.find((t) => t.value === value[0])?.name ?? value[0]
  if (value.length === EVENT_TYPES.length) return 'All events'
  return `${value.length} event types`
}

const GROUPS: { title: string; values: EventType[] }[] = [
  {
    title: 'Provisioning',
    values: ['ACCOUNT_PROVISIONING', 'ACCOUNT_SYNCHRONIZATION', 'SYNC_ERROR'],
  },
  {
    title: 'CSV uploads',
    values: [
      'USER_CSV_PROCESSED',
      'USER_CSV_PROCESSED_WITH_ERRORS',
      'USER_CSV_FAILED',
      'GROUPS_CSV_PROCESSED',
      'GROUPS_CSV_PROCESSED_WITH_ERRORS',
      'GROUP_CSV_FAILED',
    ],
  },
  { title: 'Sign-ins', values: ['AUTHENTICATION', 'AUTHORISATION', 'AUTHENTICATION_FAILED'] },
]

/** EventTypeSelect is a multi-select of event types. */
export function EventTypeSelect({ label, value, onChange }: Props) {
  const id = useId()
  const [open, setOpen] = useState(false)
  const root = useRef<HTMLDivElement>(null)
  const button = useRef<HTMLButtonElement>(null)
  const picked = new Set(value)

  useEffect(() => {
    if (!open) return
    function onDown(e: PointerEvent) {
      if (!root.current?.contains(e.target as Node)) setOpen(false)
    }
    document.addEventListener('pointerdown', onDown)
    return () => document.removeEventListener('pointerdown', onDown)
  }, [open])

  function toggle(t: EventType) {
    const next = new Set(picked)
    if (next.has(t)) next.delete(t)
    else next.add(t)
    // Keep the taxonomy order so the URL (and so the bookmark) is stable.
    onChange(EVENT_TYPES.map((e) => e.value).filter((v) => next.has(v)))
  }

  return (
    <div
      className="field multiselect"
      ref={root}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && open) {
          e.preventDefault()
          e.stopPropagation()
          setOpen(false)
          button.current?.focus()
        }
      }}
      onBlur={(e) => {
        if (open && !root.current?.contains(e.relatedTarget as Node | null)) setOpen(false)
      }}
    >
      <label htmlFor={`${id}-button`} id={`${id}-label`}>
        {label}
      </label>
      <button
        ref={button}
        id={`${id}-button`}
        type="button"
        className="select-button"
        aria-expanded={open}
        aria-controls={`${id}-panel`}
        aria-describedby={`${id}-summary`}
        onClick={() => setOpen((o) => !o)}
      >
        <span className="select-button-text" id={`${id}-summary`}>
          {summarize(value)}
        </span>
        <svg viewBox="0 0 16 16" aria-hidden="true" className="chevron">
          <path d="M4 6l4 4 4-4" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
      </button>
      <div id={`${id}-panel`} className="multiselect-panel" hidden={!open}>
        <div className="multiselect-actions">
          <button type="button" className="link-button" onClick={() => onChange([])} disabled={value.length === 0}>
            Show all events
          </button>
        </div>
        {GROUPS.map((g) => (
          <fieldset key={g.title} className="multiselect-group">
            <legend>{g.title}</legend>
            {g.values.map((t) => {
              const name = EVENT_TYPES.find((e) => e.value === t)!.name
              return (
                <label key={t} className="check">
                  <input type="checkbox" checked={picked.has(t)} onChange={() => toggle(t)} />
                  <OutcomeIcon outcome={outcomeOf(t)} />
                  <span>{name}</span>
                </label>
              )
            })}
          </fieldset>
        ))}
      </div>
    </div>
  )
}
