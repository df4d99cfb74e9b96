// The event taxonomy as the dashboard shows it. The server also sends typeName; the list here
// drives the For Event control before any event has loaded, in the product description's order.
import type { EventType } from '../gql/graphql'

/** EVENT_TYPES lists every event type with its display name. */
export const EVENT_TYPES: ReadonlyArray<{ value: EventType; name: string }> = [
  { value: 'ACCOUNT_PROVISIONING', name: 'Account Provisioning' },
  { value: 'ACCOUNT_SYNCHRONIZATION', name: 'Account Synchronization' },
  { value: 'GROUP_CSV_FAILED', name: 'Group CSV Failed' },
  { value: 'GROUPS_CSV_PROCESSED_WITH_ERRORS', name: 'Groups CSV Processed With Errors' },
  { value: 'GROUPS_CSV_PROCESSED', name: 'Groups CSV Processed' },
  { value: 'SYNC_ERROR', name: 'Sync Error' },
  { value: 'USER_CSV_PROCESSED', name: 'User CSV Processed' },
  { value: 'USER_CSV_FAILED', name: 'User CSV Failed' },
  { value: 'USER_CSV_PROCESSED_WITH_ERRORS', name: 'User CSV Processed With Errors' },
  { value: 'AUTHENTICATION', name: 'Authentication' },
  { value: 'AUTHORISATION', name: 'Authorisation' },
  { value: 'AUTHENTICATION_FAILED', name: 'Authentication Failed' },
]

const VALUES = new Set<string>(EVENT_TYPES.map((t) => t.value))

/** isEventType reports whether s is a known event type value. */
export function isEventType(s: string): s is EventType {
  return VALUES.has(s)
}

/** eventTypeName returns the display name of an event type. */
export function eventTypeName(t: string): string {
  return EVENT_TYPES.find((e) => e.value === t)?.name ?? t
}

/** Outcome is how an event went, shown by colour and by an icon and words. */
export type Outcome = 'ok' | 'partial' | 'failed' | 'login'

const FAILED = new Set(['GROUP_CSV_FAILED', 'USER_CSV_FAILED', 'SYNC_ERROR', 'AUTHENTICATION_FAILED'])
const PARTIAL = new Set(['GROUPS_CSV_PROCESSED_WITH_ERRORS', 'USER_CSV_PROCESSED_WITH_ERRORS'])
const LOGIN = new Set(['AUTHENTICATION', 'AUTHORISATION'])

/**
 * outcomeOf classifies an event: failures by type, "with errors" types and any run that
 * counted errors as partial, successful logins apart from successful syncs.
 */
export function outcomeOf(type: string, errors = 0): Outcome {
  if (FAILED.has(type)) return 'failed'
  if (PARTIAL.has(type) || errors > 0) return 'partial'
  if (LOGIN.has(type)) return 'login'
  return 'ok'
}

/** OUTCOME_LABEL is the words for an outcome, for screen readers and tooltips. */
export const OUTCOME_LABEL: Record<Outcome, string> = {
  ok: 'Succeeded',
  partial: 'Completed with errors',
  failed: 'Failed',
  login: 'Sign-in',
}
