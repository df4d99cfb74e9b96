// Loading, empty and error states, worded for people and announced to screen readers.
import type { ReactNode } from 'react'
import type { CombinedError } from 'urql'
import { describeError } from '../lib/errors'

/** Loading shows a spinner with words; it is a polite live region. */
export function Loading({ label = 'Loading…', inline = false }: { label?: string; inline?: boolean }) {
  return (
    <div className={inline ? 'loading inline' : 'loading'} role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  )
}

/** ErrorBox says what went wrong, with an optional retry action. */
export function ErrorBox({
  error,
  title = "Couldn't load this",
  onRetry,
}: {
  error: CombinedError | Error | null | undefined
  title?: string
  onRetry?: () => void
}) {
  if (!error) return null
  return (
    <div className="alert error" role="alert">
      <strong>{title}.</strong> {describeError(error)}
      {onRetry && (
        <>
          {' '}
          <button type="button" className="link-button" onClick={onRetry}>
            Try again
          </button>
        </>
      )}
    </div>
  )
}

/** Empty explains why there is nothing to show and what to do about it. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children && <div className="empty-body">{children}</div>}
    </div>
  )
}
