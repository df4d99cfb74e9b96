// The report's filters, labelled as the product description names them. Every change goes
// straight to the URL (see lib/filter.ts), so the view is bookmarkable and Back undoes it.
import { useEffect, useId, useRef, useState } from 'react'
import { useQuery } from 'urql'
import { FilterOptionsDocument } from '../gql/graphql'
import { hasFilter, type ReportView } from '../lib/filter'
import { QUICK_RANGES, rangeFor, rangeOf, type QuickRange } from '../lib/ranges'
import { Link } from '../lib/router'
import { DateTimeField } from './DateTimeField'
import { EventTypeSelect } from './EventTypeSelect'
import { SearchField } from './SearchField'
import { userPath } from './EventTable'
import { UserTypeahead, type UserOption } from './UserTypeahead'

interface Props {
  view: ReportView
  timeZone: string
  onChange: (change: Partial<ReportView>) => void
  onReset: () => void
  searchUsers: (term: string) => Promise<UserOption[]>
  /** Told at once, while typing, whether From/To as typed make an impossible range. */
  onRangeProblem?: (problem: string) => void
}

/** rangeProblem explains an impossible From/To pair, or returns "". */
export function rangeProblem(from: string, to: string): string {
  return from && to && from >= to ? 'From must be earlier than To.' : ''
}

/** FilterBar is the row of report filters. */
export function FilterBar({ view, timeZone, onChange, onReset, searchUsers, onRangeProblem }: Props) {
  const id = useId()
  const [profiles] = useQuery({ query: FilterOptionsDocument })
  const zone = timeZone.replace(/_/g, ' ')
  const fromRef = useRef<HTMLInputElement>(null)

  // From and To as typed, before they settle into the URL, and which was edited last: the
  // range error shows at once under that field, whichever order they were typed in.
  const [draft, setDraft] = useState({ from: view.from, to: view.to, last: 'to' as 'from' | 'to' })
  const [seen, setSeen] = useState({ from: view.from, to: view.to })
  if (seen.from !== view.from || seen.to !== view.to) {
    setSeen({ from: view.from, to: view.to })
    // Only the field the URL changed: the other may hold a value typed a moment ago (a blur
    // of To commits it while From is being filled in).
    const fromChanged = seen.from !== view.from
    const toChanged = seen.to !== view.to
    setDraft((d) => ({ ...d, from: fromChanged ? view.from : d.from, to: toChanged ? view.to : d.to }))
  }
  const problem = rangeProblem(draft.from, draft.to)
  useEffect(() => onRangeProblem?.(problem), [problem, onRangeProblem])

  // The quick range shown is the preset the URL's From/To equal today, else Custom; picking
  // Custom keeps the values and moves to From.
  const [custom, setCustom] = useState(false)
  const matched = rangeOf(view.from, view.to, new Date(), timeZone)
  const range: QuickRange = custom && matched === '' ? 'custom' : matched

  return (
    <form className="filter-bar" role="search" aria-label="Filter events" onSubmit={(e) => e.preventDefault()}>
      <div className="field">
        <label htmlFor={`${id}-range`}>Date range</label>
        <select
          id={`${id}-range`}
          value={range}
          onChange={(e) => {
            const r = e.target.value as QuickRange
            setCustom(r === 'custom')
            if (r === 'custom') {
              fromRef.current?.focus()
              return
            }
            const v = rangeFor(r, new Date(), timeZone)
            onChange(v ?? { from: '', to: '' })
          }}
        >
          {QUICK_RANGES.map((r) => (
            <option key={r.value} value={r.value}>
              {r.label}
            </option>
          ))}
        </select>
      </div>
      <DateTimeField
        label="From"
        hint={`(${zone})`}
        value={view.from}
        inputRef={fromRef}
        invalid={Boolean(problem)}
        error={problem && draft.last === 'from' ? problem : ''}
        onDraft={(from) => setDraft((d) => ({ ...d, from, last: 'from' }))}
        onCommit={(from) => onChange({ from })}
      />
      <DateTimeField
        label="To"
        hint={`(${zone})`}
        value={view.to}
        invalid={Boolean(problem)}
        error={problem && draft.last === 'to' ? problem : ''}
        onDraft={(to) => setDraft((d) => ({ ...d, to, last: 'to' }))}
        onCommit={(to) => onChange({ to })}
      />
      <UserTypeahead
        label="For User"
        value={view.userID ? { id: view.userID, label: view.userLabel || 'Selected user' } : null}
        onChange={(u) => onChange({ userID: u?.id ?? '', userLabel: u?.label ?? '' })}
        search={searchUsers}
        after={
          view.userID ? (
            <Link to={userPath(view.userID)} className="field-link">
              Open this person's page
            </Link>
          ) : null
        }
      />
      <div className="field">
        <label htmlFor={`${id}-profile`}>For Sync Profile</label>
        <select
          id={`${id}-profile`}
          value={view.syncProfileID}
          onChange={(e) => onChange({ syncProfileID: e.target.value })}
          aria-describedby={profiles.error ? `${id}-profile-err` : undefined}
        >
          <option value="">{profiles.fetching && !profiles.data ? 'Loading…' : 'All sync profiles'}</option>
          {profiles.data?.syncProfiles.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
          {view.syncProfileID && profiles.data && !profiles.data.syncProfiles.some((p) => p.id === view.syncProfileID) && (
            <option value={view.syncProfileID}>Unknown profile</option>
          )}
        </select>
        {profiles.error && (
          <span id={`${id}-profile-err`} className="field-error">
            Couldn't load sync profiles.
          </span>
        )}
      </div>
      <EventTypeSelect label="For Event" value={view.types} onChange={(types) => onChange({ types })} />
      <SearchField value={view.search} onCommit={(search) => onChange({ search })} />
      <div className="field checkbox-field">
        <label className="check">
          <input type="checkbox" checked={view.activeOnly} onChange={(e) => onChange({ activeOnly: e.target.checked })} />
          <span>Filter Events for Activity</span>
        </label>
        <span className="field-hint block">Hides sync runs that changed nothing</span>
        <label className="check switch">
          <input
            type="checkbox"
            role="switch"
            checked={view.flaggedOnly}
            onChange={(e) => onChange({ flaggedOnly: e.target.checked })}
          />
          <span>Flagged runs only</span>
        </label>
        {hasFilter(view) && (
          <button type="button" className="link-button reset-link" onClick={onReset}>
            Reset filters
          </button>
        )}
      </div>
    </form>
  )
}
