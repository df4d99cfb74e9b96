import { act, renderHook } from '@testing-library/react'
import type { ReactNode } from 'react'
import { Provider, type Client } from 'urql'
import { describe, expect, it } from 'vitest'
import type { TimelineEntryFieldsFragment } from '../gql/graphql'
import { liveKey, useLiveTimeline } from './useLiveTimeline'

type Entry = TimelineEntryFieldsFragment

function entry(eventID: string, changeID?: string): Entry {
  return { at: '2026-03-01T00:00:00Z', event: { id: eventID }, change: changeID ? { id: changeID } : null } as unknown as Entry
}

function setup(initial: { userID: string; hold: boolean }) {
  const sinks: ((r: { data?: { timelineEntryAdded: Entry } }) => void)[] = []
  const asked: unknown[] = []
  let unsubscribed = 0
  const client = {
    subscription: (_doc: unknown, vars: unknown) => {
      asked.push(vars)
      return {
        subscribe(cb: (typeof sinks)[number]) {
          sinks.push(cb)
          return { unsubscribe: () => unsubscribed++ }
        },
      }
    },
  } as unknown as Client
  const wrapper = ({ children }: { children: ReactNode }) => <Provider value={client}>{children}</Provider>
  const hook = renderHook((p: typeof initial) => useLiveTimeline(p.userID, p.hold), { wrapper, initialProps: initial })
  const push = (e: Entry) => act(() => sinks.at(-1)!({ data: { timelineEntryAdded: e } }))
  return { hook, push, asked, unsubscribed: () => unsubscribed }
}

describe('useLiveTimeline', () => {
  it("subscribes to the person's entries and shows each new one once, newest first", () => {
    const { hook, push, asked } = setup({ userID: 'u1', hold: false })
    expect(asked).toEqual([{ userID: 'u1' }])
    push(entry('e1'))
    push(entry('e2', 'c9'))
    push(entry('e1'))
    expect(hook.result.current.shown.map(liveKey)).toEqual(['cc9', 'ee1'])
    expect(hook.result.current.received).toBe(2)
  })

  it('tells a change of a run from the same run acting: both are entries', () => {
    expect(liveKey(entry('e1'))).not.toBe(liveKey(entry('e1', 'c1')))
  })

  it('only counts entries while a later page is shown', () => {
    const { hook, push } = setup({ userID: 'u1', hold: true })
    push(entry('e1'))
    push(entry('e2'))
    expect(hook.result.current.shown).toEqual([])
    expect(hook.result.current.pending).toBe(2)
    hook.rerender({ userID: 'u1', hold: false })
    expect(hook.result.current.pending).toBe(0)
  })

  it('starts afresh for another person', () => {
    const { hook, push, asked, unsubscribed } = setup({ userID: 'u1', hold: false })
    push(entry('e1'))
    hook.rerender({ userID: 'u2', hold: false })
    expect(unsubscribed()).toBe(1)
    expect(asked).toEqual([{ userID: 'u1' }, { userID: 'u2' }])
    expect(hook.result.current.shown).toEqual([])
  })
})
