import { describe, expect, it } from 'vitest'
import { actionLabel, changesNote, countedChanges, daysAgo, describeEntry, formatValue, isChangeAction, percent, runFlagLabel, sinceDefault, sinceInstant } from './changes'

const counts = { added: 4, updated: 400, deleted: 0, disabled: 3, errors: 5 }

describe('changesNote', () => {
  it('tells a sample from the full list', () => {
    expect(countedChanges(counts)).toBe(412)
    expect(changesNote(10, counts)).toBe('The agent sent 10 of the 412 changes this run counted; only those 10 are listed.')
    expect(changesNote(412, counts)).toBe('The agent sent all 412 changes this run counted.')
    expect(changesNote(1, { added: 1, updated: 0, deleted: 0, disabled: 0, errors: 0 })).toBe('The agent sent all 1 change this run counted.')
  })

  it('says when the agent sent none, and when the run changed nothing', () => {
    expect(changesNote(0, counts)).toBe('The agent sent no account-level changes for this run, which counted 412 changes.')
    expect(changesNote(0, { added: 0, updated: 0, deleted: 0, disabled: 0, errors: 0 })).toBe('This run changed no accounts.')
  })

  it('counts failed changes against errors', () => {
    expect(changesNote(10, counts, 'FAILED')).toBe('The run counted 5 failed accounts.')
  })
})

describe('words', () => {
  it('names actions and flags, and refuses unknown actions from the URL', () => {
    expect(actionLabel('DISABLED')).toBe('Disabled')
    expect(actionLabel('SOMETHING')).toBe('SOMETHING')
    expect(isChangeAction('ADDED')).toBe(true)
    expect(isChangeAction('added')).toBe(false)
    expect(isChangeAction(null)).toBe(false)
    expect(runFlagLabel('MASS_DELETE')).toBe('Mass delete')
    expect(runFlagLabel('NEW_FLAG')).toBe('NEW_FLAG')
  })

  it('tells a value that was not set from an empty one', () => {
    expect(formatValue(null)).toBe('(none)')
    expect(formatValue(undefined)).toBe('(none)')
    expect(formatValue('')).toBe('(empty)')
    expect(formatValue('ava@school.example')).toBe('ava@school.example')
  })

  it('gives adoption as a whole percentage, and none for nobody', () => {
    expect(percent(2, 3)).toBe('67%')
    expect(percent(0, 0)).toBe('—')
  })
})

describe('describeEntry', () => {
  const sync = { type: 'ACCOUNT_SYNCHRONIZATION', typeName: 'Account Synchronization', syncProfile: { name: 'LDAP Students' } }
  it('says which run changed the person, and which attributes', () => {
    expect(describeEntry({ event: sync, change: { action: 'UPDATED', attributes: [{ name: 'mail' }, { name: 'memberOf' }] } })).toEqual({
      title: 'Updated by LDAP Students',
      detail: 'mail, memberOf',
    })
    const many = ['a', 'b', 'c', 'd', 'e', 'f'].map((name) => ({ name }))
    expect(describeEntry({ event: sync, change: { action: 'ADDED', attributes: many } }).detail).toBe('a, b, c, d and 2 more')
    expect(describeEntry({ event: sync, change: { action: 'FAILED', attributes: [], message: 'no OU' } })).toEqual({
      title: 'Change failed in LDAP Students',
      detail: 'no OU',
    })
  })

  it('says what the person did', () => {
    expect(describeEntry({ event: { type: 'AUTHORISATION', typeName: 'Authorisation', service: 'Canvas' } }).title).toBe('Signed in to Canvas')
    expect(describeEntry({ event: { type: 'AUTHENTICATION_FAILED', typeName: 'Authentication Failed' } }).title).toBe('Failed sign-in')
    expect(describeEntry({ event: { type: 'USER_CSV_PROCESSED', typeName: 'User CSV Processed', syncProfile: { name: 'User CSV Upload' } } })).toEqual({
      title: 'Ran User CSV Processed',
      detail: 'User CSV Upload',
    })
  })
})

describe('since', () => {
  it("starts 30 school days back at the school's midnight", () => {
    const now = new Date('2026-03-31T02:00:00Z') // 13:00 on 31 March in Sydney (AEDT)
    expect(sinceDefault(now, 'Australia/Sydney')).toBe('2026-03-02T00:00')
    expect(sinceInstant('2026-03-02T00:00', 'Australia/Sydney')).toBe('2026-03-01T13:00:00.000Z')
    expect(sinceDefault(new Date('2026-03-31T23:30:00Z'), 'UTC')).toBe('2026-03-02T00:00')
    expect(sinceInstant('not a time', 'UTC')).toBeNull()
  })

  it('counts the last 7 days back from now', () => {
    expect(daysAgo(new Date('2026-03-08T10:00:00Z'), 7)).toBe('2026-03-01T10:00:00.000Z')
  })
})
