import { describe, expect, it, vi } from 'vitest'
import { LiveConnection, websocketURL } from './client'

describe('LiveConnection', () => {
  it('goes Connecting → Live → Reconnecting → Reconnected → Live', () => {
    vi.useFakeTimers()
    const c = new LiveConnection()
    const seen: string[] = []
    c.subscribe((s) => seen.push(s))
    c.onConnecting()
    c.onConnected()
    c.onClosed(false)
    c.onConnecting()
    c.onConnected()
    vi.advanceTimersByTime(5000)
    expect(seen).toEqual(['connecting', 'live', 'reconnecting', 'reconnected', 'live'])
    vi.useRealTimers()
  })

  it('a normal close is idle, not a loss, and the next connection is simply live', () => {
    const c = new LiveConnection()
    c.onConnecting()
    c.onConnected()
    c.onClosed(true)
    expect(c.getState()).toBe('idle')
    c.onConnecting()
    expect(c.getState()).toBe('connecting')
    c.onConnected()
    expect(c.getState()).toBe('live')
  })

  it('a server that was never reached stays Connecting', () => {
    const c = new LiveConnection()
    c.onConnecting()
    c.onClosed(false)
    c.onConnecting()
    expect(c.getState()).toBe('connecting')
  })
})

describe('websocketURL', () => {
  it('follows the page scheme and host', () => {
    expect(websocketURL({ protocol: 'https:', host: 'r.example:8443' })).toBe('wss://r.example:8443/graphql')
    expect(websocketURL({ protocol: 'http:', host: 'localhost:8080' })).toBe('ws://localhost:8080/graphql')
  })
})
