// A tiny client-side router: the dashboard has five routes, so a dependency would cost more
// bytes than it saves. Locations come from the History API; filters live in the query string.
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react'

type Listener = () => void
const listeners = new Set<Listener>()

function subscribe(listener: Listener): () => void {
  listeners.add(listener)
  window.addEventListener('popstate', listener)
  return () => {
    listeners.delete(listener)
    window.removeEventListener('popstate', listener)
  }
}

function snapshot(): string {
  return window.location.pathname + window.location.search
}

function notify(): void {
  for (const l of listeners) l()
}

/** Options for navigate. */
export interface NavigateOptions {
  /** Replace the current history entry instead of pushing a new one. */
  replace?: boolean
}

/** navigate changes the location (path and query) and re-renders subscribers. */
export function navigate(to: string, options: NavigateOptions = {}): void {
  if (to === snapshot()) return
  if (options.replace) window.history.replaceState(null, '', to)
  else window.history.pushState(null, '', to)
  notify()
  if (!options.replace && !to.startsWith(window.location.pathname + '?')) window.scrollTo?.(0, 0)
}

/** Location is the current path and query string. */
export interface Location {
  pathname: string
  search: string
  /** pathname + search, e.g. to use as a `next` parameter. */
  href: string
}

/** useLocation returns the current location and re-renders when it changes. */
export function useLocation(): Location {
  const href = useSyncExternalStore(subscribe, snapshot, snapshot)
  const q = href.indexOf('?')
  return {
    pathname: q < 0 ? href : href.slice(0, q),
    search: q < 0 ? '' : href.slice(q),
    href,
  }
}

/**
 * matchPath matches a pattern such as "/exports/:id" against a pathname and returns the
 * decoded parameters, or null when it does not match.
 */
export function matchPath(pattern: string, pathname: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean)
  const s = pathname.split('/').filter(Boolean)
  if (p.length !== s.length) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) {
      try {
        params[p[i].slice(1)] = decodeURIComponent(s[i])
      } catch {
        return null
      }
    } else if (p[i] !== s[i]) {
      return null
    }
  }
  return params
}

/** Props for Link: an anchor whose plain left clicks navigate without a page load. */
export interface LinkProps extends AnchorHTMLAttributes<HTMLAnchorElement> {
  to: string
  replace?: boolean
  children: ReactNode
}

/** Link renders an <a href> that navigates client-side on plain left clicks. */
export function Link({ to, replace, onClick, children, ...rest }: LinkProps) {
  function handle(e: MouseEvent<HTMLAnchorElement>) {
    onClick?.(e)
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
    e.preventDefault()
    navigate(to, { replace })
  }
  return (
    <a href={to} onClick={handle} {...rest}>
      {children}
    </a>
  )
}

/**
 * safeNext returns a same-origin path for a `?next=` parameter, or "/" for anything that could
 * send the user elsewhere (absolute URLs, protocol-relative "//host", backslashes).
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return '/'
  if (next.startsWith('/signin')) return '/'
  return next
}
