// A media query as React state, for the few places where a size changes the markup itself rather
// than only its styles (the header's order of focus on a phone).
import { useSyncExternalStore } from 'react'

/** PHONE is the width up to which the dashboard lays itself out for a phone; index.css uses the same. */
export const PHONE = '(max-width: 560px)'

/** useMediaQuery reports whether the query matches now, and re-renders when that changes. */
export function useMediaQuery(query: string): boolean {
  return useSyncExternalStore(
    (onChange) => {
      const list = window.matchMedia?.(query)
      list?.addEventListener('change', onChange)
      return () => list?.removeEventListener('change', onChange)
    },
    () => window.matchMedia?.(query).matches ?? false,
    () => false,
  )
}
