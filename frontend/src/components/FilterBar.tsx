// The report's filters, labelled as the product description names them. Every change goes
// straight to the URL (see lib/filter.ts), so the view is bookmarkable and Back undoes it.
import { useId } from 'react'
import { useQuery } from 'urql'
import { FilterOptionsDocument } from '../gql/graphql'
import { hasFilter, type ReportView } from '../lib/filter'
import { DateTimeField } from './DateTimeField'
import { EventTypeSelect } from './EventTypeSelect'
import { UserTypeahead, type UserOption } from './UserTypeahead'

interface Props {
  view: ReportView
  timeZone: string
  onChange: (change: Partial<ReportView>) => void
  onReset: () => void
  searchUsers: (term: string) => Promise<UserOption[]>
}

/** rangeProblem explains an impossible From/To pair, or returns "". */
export function rangeProblem(from: string, to: string): string {
  return from && to && from >= to ? 'From must be earlier than To.' : ''
}

/** FilterBar is the row of report filters. */
export function FilterBar({ view, timeZone, onChange, onReset, searchUsers }: Props) {
  const id = useId()
  const [profiles] = useQuery({ query: FilterOptionsDocument })
  const problem = rangeProblem(view.from, view.to)
  const zone = timeZone.replace(/_/g, ' ')

  return (
    <form className="filter-bar" role="search" aria-label="Filter events" onSubmit={(e) => e.preventDefault()}>
      <DateTimeField
        label="From"
        hint={`(${zone})`}
        value={view.from}
        max={view.to}
        onCommit={(from) => {
          if (!rangeProblem(from, view.to)) onChange({ from })
        }}
      />
      <DateTimeField
        label="To"
        hint={`(${zone})`}
        value={view.to}
        min={view.from}
        invalid={problem}
        onCommit={(to) => {
          if (!rangeProblem(view.from, to)) onChange({ to })
        }}
      />
      <UserTypeahead
        label="For User"
        value={view.userID ? { id: view.userID, label: view.userLabel || 'Selected user' } : null}
        onChange={(u) => onChange({ userID: u?.id ?? '', userLabel: u?.label ?? '' })}
        search={searchUsers}
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
      <div className="field checkbox-field">
        <label className="check">
          <input type="checkbox" checked={view.activeOnly} onChange={(e) => onChange({ activeOnly: e.target.checked })} />
          <span>Filter Events for Activity</span>
        </label>
        <span className="field-hint block">Hides sync runs that changed nothing</span>
        {hasFilter(view) && (
          <button type="button" className="link-button reset-link" onClick={onReset}>
            Reset filters
          </button>
        )}
      </div>
    </form>
  )
}
