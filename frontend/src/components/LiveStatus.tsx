// The live feed's connection state in words and a dot, plus the Pause control.
import { useSyncExternalStore } from 'react'
import { useSession } from '../session'

interface Props {
  paused: boolean
  /** onTogglePause is absent where the feed cannot be paused. */
  onTogglePause?: () => void
  /** Live updates only apply to the newest-first first page. */
  applicable: boolean
  pending: number
}

const WORDS = {
  idle: 'Live updates off',
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  reconnected: 'Reconnected',
} as const

/** LiveStatus shows whether new events arrive by themselves. */
export function LiveStatus({ paused, onTogglePause, applicable, pending }: Props) {
  const { live } = useSession()
  const state = useSyncExternalStore(live.subscribe, live.getState, live.getState)
  const word = paused ? 'Paused' : WORDS[state]
  const tone = paused ? 'paused' : state
  return (
    <div className="live">
      <span className={`live-state ${tone}`} role="status" aria-live="polite">
        <span className="live-dot" aria-hidden="true" />
        {word}
        {paused && pending > 0 && <span className="live-pending"> · {pending} new</span>}
        {!paused && !applicable && pending > 0 && <span className="live-pending"> · {pending} new on the first page</span>}
      </span>
      {onTogglePause && (
        <button type="button" className="button secondary small" aria-pressed={paused} onClick={onTogglePause}>
          {paused ? (pending > 0 ? `Resume (${pending})` : 'Resume') : 'Pause'}
        </button>
      )}
    </div>
  )
}
