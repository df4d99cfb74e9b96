// Words for a run's changed accounts and a person's timeline: action names, how many changes the
// agent sent against what the run counted, and attribute values as a person reads them.
import { formatInt, plural } from './format'
import { addDays } from './ranges'
import { instantToLocal, localToInstant } from './time'

/** ChangeActionName is an action a change can have (the schema's ChangeAction). */
export type ChangeActionName = 'ADDED' | 'UPDATED' | 'DELETED' | 'DISABLED' | 'FAILED'

/** CHANGE_ACTIONS lists the actions in the order the run page offers them, with their words. */
export const CHANGE_ACTIONS: ReadonlyArray<{ value: ChangeActionName; label: string; count: 'added' | 'updated' | 'deleted' | 'disabled' | 'errors' }> = [
  { value: 'ADDED', label: 'Added', count: 'added' },
  { value: 'UPDATED', label: 'Updated', count: 'updated' },
  { value: 'DELETED', label: 'Deleted', count: 'deleted' },
  { value: 'DISABLED', label: 'Disabled', count: 'disabled' },
  { value: 'FAILED', label: 'Failed', count: 'errors' },
]

/** actionLabel returns the words for an action ("Added"), or the value itself when unknown. */
export function actionLabel(a: string): string {
  return CHANGE_ACTIONS.find((x) => x.value === a)?.label ?? a
}

/** isChangeAction reports whether s names an action (for values read from the URL). */
export function isChangeAction(s: string | null | undefined): s is ChangeActionName {
  return CHANGE_ACTIONS.some((x) => x.value === s)
}

/** RunCounts are the counts a run reported. */
export interface RunCounts {
  added: number
  updated: number
  deleted: number
  disabled: number
  errors: number
}

/** countedChanges is how many account changes a run counted: added, updated, deleted, disabled and failed. */
export function countedChanges(c: RunCounts): number {
  return c.added + c.updated + c.deleted + c.disabled + c.errors
}

/**
 * changesNote tells a sample from the full list: agents may send fewer changes than the run
 * counted, never more, and the page must not let a list of 10 pass for the whole run of 412.
 * action narrows both numbers to one action when the table is filtered by it.
 */
export function changesNote(recorded: number, counts: RunCounts, action?: ChangeActionName | ''): string {
  const what = action ? actionLabel(action).toLowerCase() : ''
  const counted = action ? counts[CHANGE_ACTIONS.find((a) => a.value === action)!.count] : countedChanges(counts)
  const noun = what ? `${what} account` : 'change'
  if (!action && recorded === 0) {
    return counted === 0 ? 'This run changed no accounts.' : `The agent sent no account-level changes for this run, which counted ${plural(counted, 'change')}.`
  }
  if (action) return `The run counted ${plural(counted, noun)}.`
  if (recorded >= counted) return `The agent sent all ${plural(recorded, 'change')} this run counted.`
  return `The agent sent ${formatInt(recorded)} of the ${plural(counted, 'change')} this run counted; only those ${formatInt(recorded)} are listed.`
}

/** formatValue shows an attribute's value: "(none)" for a value that was not set, "(empty)" for "". */
export function formatValue(v: string | null | undefined): string {
  if (v == null) return '(none)'
  if (v === '') return '(empty)'
  return v
}

/**
 * sinceDefault is the People page's default "since": midnight in the school's zone, 30 days
 * before today (the same days as the report's "Last 30 days"), as a datetime-local value.
 */
export function sinceDefault(now: Date, timeZone: string): string {
  const today = instantToLocal(now, timeZone).slice(0, 10)
  return `${addDays(today, -29)}T00:00`
}

/** sinceInstant turns a datetime-local value in the school's zone into an RFC 3339 instant, or null. */
export function sinceInstant(local: string, timeZone: string): string | null {
  const d = localToInstant(local, timeZone)
  return d ? d.toISOString() : null
}

/** daysAgo is the instant n × 24 hours before now, as RFC 3339 (for "failed sign-ins in the last 7 days"). */
export function daysAgo(now: Date, n: number): string {
  return new Date(now.getTime() - n * 86_400_000).toISOString()
}

/** percent says what share of whole part is, rounded: 0 of 0 is "—". */
export function percent(part: number, whole: number): string {
  if (whole <= 0) return '—'
  return `${Math.round((part / whole) * 100)}%`
}

/** RUN_FLAG_WORDS says what each RunFlag means, in the words the run page shows. */
export const RUN_FLAG_WORDS: Record<string, { label: string; hint: string }> = {
  NOTHING_PROCESSED: { label: 'Nothing processed', hint: 'The run processed no records, which is how a sync that could not reach its source looks.' },
  PROCESSED_DROP: { label: 'Fewer records than usual', hint: "The run processed far fewer records than this profile's recent runs." },
  MASS_DELETE: { label: 'Mass delete', hint: "The run deleted many more accounts than this profile's recent runs." },
  MASS_DISABLE: { label: 'Mass disable', hint: "The run disabled many more accounts than this profile's recent runs." },
  MASS_UPDATE: { label: 'Mass update', hint: "The run updated many more accounts than this profile's recent runs." },
  ERROR_SPIKE: { label: 'Error spike', hint: "The run had many more errors than this profile's recent runs." },
}

/** runFlagLabel returns the words for a run flag, or the flag itself when unknown. */
export function runFlagLabel(flag: string): string {
  return RUN_FLAG_WORDS[flag]?.label ?? flag
}

/** EntryLike is the part of a timeline entry that describeEntry reads. */
export interface EntryLike {
  event: { type: string; typeName: string; service?: string | null; syncProfile?: { name: string } | null }
  change?: { action: string; attributes: ReadonlyArray<{ name: string }>; message?: string | null } | null
}

/**
 * describeEntry says in a few words what a timeline entry is: a change to the person ("Updated
 * by LDAP Students: mail, memberOf") or something they did ("Signed in to Canvas", "Failed
 * sign-in", "Uploaded: User CSV Processed").
 */
export function describeEntry(e: EntryLike): { title: string; detail: string } {
  const by = e.event.syncProfile?.name ?? e.event.typeName
  if (e.change) {
    const verb = e.change.action === 'FAILED' ? 'Change failed in' : `${actionLabel(e.change.action)} by`
    const names = e.change.attributes.map((a) => a.name)
    const detail = names.length > 0 ? (names.length <= 4 ? names.join(', ') : `${names.slice(0, 4).join(', ')} and ${names.length - 4} more`) : (e.change.message ?? '')
    return { title: `${verb} ${by}`, detail }
  }
  switch (e.event.type) {
    case 'AUTHENTICATION':
      return { title: 'Signed in', detail: e.event.service ?? '' }
    case 'AUTHORISATION':
      return { title: e.event.service ? `Signed in to ${e.event.service}` : 'Authorised', detail: '' }
    case 'AUTHENTICATION_FAILED':
      return { title: 'Failed sign-in', detail: e.event.service ?? '' }
    default:
      return { title: `Ran ${e.event.typeName}`, detail: e.event.syncProfile?.name ?? '' }
  }
}
