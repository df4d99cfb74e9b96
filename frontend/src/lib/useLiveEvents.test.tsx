import { act, renderHook } from '@testing-library/react'
import type { ReactNode } from 'react'
import { Provider, type Client } from 'urql'
import { describe, expect, it } from 'vitest'
import type { EventFieldsFragment } from '../gql/graphql'
import { useLiveEvents } from './useLiveEvents'

function fakeClient() {
  const sinks: ((r: { data?: { eventRecorded: EventFieldsFragment } }) => void)[] = []
  let unsubscribed = 0
  const client = {
    subscription: () => ({
      subscribe(cb: (typeof sinks)[number]) {
        sinks.push(cb)
        return { unsubscribe: () => unsubscribed++ }
      },
    }),
  } as unknown as Client
  return {
    client,
    push: (id: string) => act(() => sinks.at(-1)!({ data: { eventRecorded: { id } as EventFieldsFragment } })),
    subscriptions: () => sinks.length,
    unsubscribed: () => unsubscribed,
  }
}

function setup(initial: { key: string; enabled: boolean; hold: boolean }) {
  const fake = fakeClient()
  const wrapper = ({ children }: { children: ReactNode }) => <Provider value={fake.client}>{children}</Provider>
  const hook = renderHook((p: typeof initial) => useLiveEvents({}, p.key, p.enabled, p.hold), { wrapper, initialProps: initial })
  return { ...fake, hook }
}

describe('useLiveEvents', () => {
  it('shows new events newest first, once each', () => {
    const { push, hook } = setup({ key: 'a', enabled: true, hold: false })
    push('1')
    push('2')
    push('1')
    expect(hook.result.current.shown.map((e) => e.id)).toEqual(['2', '1'])
    expect(hook.result.current.received).toBe(2)
  })

  it('holds events back while paused and shows them on flush', () => {
    const { push, hook } = setup({ key: 'a', enabled: true, hold: true })
    push('1')
    push('2')
    expect(hook.result.current.shown).toEqual([])
    expect(hook.result.current.pending.map((e) => e.id)).toEqual(['2', '1'])
    hook.rerender({ key: 'a', enabled: true, hold: false })
    act(() => hook.result.current.flush())
    expect(hook.result.current.shown.map((e) => e.id)).toEqual(['2', '1'])
    expect(hook.result.current.pending).toEqual([])
  })

  it('starts afresh, with a new subscription, when the filter changes', () => {
    const s = setup({ key: 'a', enabled: true, hold: false })
    s.push('1')
    s.hook.rerender({ key: 'b', enabled: true, hold: false })
    expect(s.unsubscribed()).toBe(1)
    expect(s.subscriptions()).toBe(2)
    expect(s.hook.result.current.shown).toEqual([])
    s.push('1')
    expect(s.hook.result.current.shown.map((e) => e.id)).toEqual(['1'])
  })

  it('does not subscribe until enabled', () => {
    const s = setup({ key: 'a', enabled: false, hold: false })
    expect(s.subscriptions()).toBe(0)
  })
})
