// Activity over time from eventSummary, as hand-drawn SVG bars: changes (added, updated,
// deleted, disabled) stacked under errors and failed logins. Dragging across the plot narrows
// From/To to the buckets covered; the From/To fields remain the keyboard way to do the same.
import { useEffect, useId, useRef, useState, type PointerEvent } from 'react'
import type { EventSummaryQuery } from '../gql/graphql'
import { axisTicks, dragToRange, isClick, niceMax, type Step } from '../lib/chart'
import { formatInt } from '../lib/format'

type Bucket = EventSummaryQuery['eventSummary']['buckets'][number]

interface Props {
  buckets: readonly Bucket[]
  step: Step
  timeZone: string
  onRange: (from: Date, to: Date) => void
}

const HEIGHT = 150
const PAD = { top: 10, right: 8, bottom: 22, left: 40 }

function bucketLabel(iso: string, step: Step, timeZone: string, long = false): string {
  const opts: Intl.DateTimeFormatOptions =
    step === 'HOUR'
      ? { timeZone, day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }
      : { timeZone, day: 'numeric', month: 'short', year: long ? 'numeric' : undefined }
  return new Intl.DateTimeFormat('en-AU', opts).format(new Date(iso))
}

function readout(b: Bucket, step: Step, timeZone: string): string {
  const parts = [`${formatInt(b.events)} events`]
  for (const [n, w] of [
    [b.added, 'added'],
    [b.updated, 'updated'],
    [b.deleted, 'deleted'],
    [b.disabled, 'disabled'],
    [b.errors, 'errors'],
    [b.failedLogins, 'failed logins'],
  ] as const) {
    if (n > 0) parts.push(`${formatInt(n)} ${w}`)
  }
  return `${bucketLabel(b.startsAt, step, timeZone, true)}: ${parts.join(', ')}`
}

/** ActivityChart draws the buckets and reports drags as time ranges. */
export function ActivityChart({ buckets, step, timeZone, onRange }: Props) {
  const id = useId()
  const wrap = useRef<HTMLDivElement>(null)
  const [width, setWidth] = useState(800)
  const [drag, setDrag] = useState<{ x1: number; x2: number } | null>(null)
  const [hover, setHover] = useState<number | null>(null)

  useEffect(() => {
    const el = wrap.current
    if (!el || typeof ResizeObserver === 'undefined') return
    const ro = new ResizeObserver((entries) => {
      const w = Math.round(entries[0].contentRect.width)
      if (w > 0) setWidth(w)
    })
    ro.observe(el)
    return () => ro.disconnect()
  }, [])

  const plotW = Math.max(10, width - PAD.left - PAD.right)
  const plotH = HEIGHT - PAD.top - PAD.bottom
  const starts = buckets.map((b) => b.startsAt)
  const totals = buckets.map((b) => ({
    changes: b.added + b.updated + b.deleted + b.disabled,
    problems: b.errors + b.failedLogins,
  }))
  const max = niceMax(Math.max(0, ...totals.map((t) => t.changes + t.problems)))
  const barW = buckets.length ? plotW / buckets.length : plotW
  const gap = barW > 6 ? Math.min(4, barW * 0.2) : 0
  const y = (v: number) => (v / max) * plotH
  const allChanges = totals.reduce((s, t) => s + t.changes, 0)
  const allProblems = totals.reduce((s, t) => s + t.problems, 0)

  function plotX(e: PointerEvent<SVGElement>): number {
    const svg = (e.currentTarget as SVGElement).ownerSVGElement ?? (e.currentTarget as SVGSVGElement)
    const r = svg.getBoundingClientRect()
    const scale = r.width > 0 ? width / r.width : 1
    return Math.min(plotW, Math.max(0, (e.clientX - r.left) * scale - PAD.left))
  }

  function onDown(e: PointerEvent<SVGRectElement>) {
    if (e.button !== 0 || buckets.length === 0) return
    ;(e.currentTarget as Element).setPointerCapture?.(e.pointerId)
    const x = plotX(e)
    setDrag({ x1: x, x2: x })
  }
  function onMove(e: PointerEvent<SVGRectElement>) {
    const x = plotX(e)
    if (drag) setDrag({ ...drag, x2: x })
    if (buckets.length > 0) setHover(Math.min(buckets.length - 1, Math.floor(x / barW)))
  }
  function onUp(e: PointerEvent<SVGRectElement>) {
    if (!drag) return
    const x2 = plotX(e)
    setDrag(null)
    // A click selects its one bucket; a drag selects every bucket it touched.
    const range = isClick(drag.x1, x2) ? dragToRange(x2, x2, plotW, starts, step) : dragToRange(drag.x1, x2, plotW, starts, step)
    if (range) onRange(range.from, range.to)
  }

  const labelIdx = buckets.length <= 1 ? [0] : [0, Math.floor((buckets.length - 1) / 2), buckets.length - 1]
  const description =
    buckets.length === 0
      ? 'No activity in this range.'
      : `Activity per ${step.toLowerCase()} from ${bucketLabel(starts[0], step, timeZone, true)} to ${bucketLabel(starts[starts.length - 1], step, timeZone, true)}: ${formatInt(allChanges)} changes and ${formatInt(allProblems)} errors or failed logins.`

  return (
    <figure className="chart" aria-labelledby={`${id}-cap`}>
      <figcaption id={`${id}-cap`} className="chart-caption">
        <span className="chart-title">Activity per {step.toLowerCase()}</span>
        <span className="legend">
          <span className="legend-item changes">
            <span className="swatch" aria-hidden="true" /> Changes
          </span>
          <span className="legend-item problems">
            <span className="swatch" aria-hidden="true" /> Errors and failed logins
          </span>
        </span>
        <span className="chart-hint" aria-hidden={hover !== null}>
          {hover !== null && buckets[hover] ? readout(buckets[hover], step, timeZone) : 'Drag across the chart to narrow From and To.'}
        </span>
      </figcaption>
      <div className="chart-wrap" ref={wrap}>
        <svg
          width={width}
          height={HEIGHT}
          viewBox={`0 0 ${width} ${HEIGHT}`}
          role="img"
          aria-label={description}
          className={drag ? 'chart-svg dragging' : 'chart-svg'}
        >
          <g transform={`translate(${PAD.left},${PAD.top})`}>
            {axisTicks(max).map((v) => (
              <g key={v}>
                <line x1={0} x2={plotW} y1={plotH - y(v)} y2={plotH - y(v)} className="gridline" />
                <text x={-6} y={plotH - y(v)} className="axis-label" textAnchor="end" dominantBaseline="middle">
                  {formatInt(v)}
                </text>
              </g>
            ))}
            {buckets.map((b, i) => {
              const t = totals[i]
              const x = i * barW + gap / 2
              const w = Math.max(1, barW - gap)
              const hc = y(t.changes)
              const hp = y(t.problems)
              return (
                <g key={b.startsAt} className={hover === i ? 'bucket hovered' : 'bucket'}>
                  {hover === i && <rect x={i * barW} y={0} width={barW} height={plotH} className="hover-band" />}
                  {t.changes > 0 && <rect x={x} y={plotH - hc} width={w} height={hc} className="bar changes" />}
                  {t.problems > 0 && <rect x={x} y={plotH - hc - hp} width={w} height={hp} className="bar problems" />}
                  {t.changes + t.problems === 0 && b.events > 0 && (
                    <rect x={x} y={plotH - 2} width={w} height={2} className="bar idle" />
                  )}
                </g>
              )
            })}
            {buckets.length > 0 &&
              labelIdx.map((i, k) => (
                <text
                  key={i}
                  x={k === 0 ? 0 : k === labelIdx.length - 1 ? plotW : i * barW + barW / 2}
                  y={plotH + 15}
                  className="axis-label"
                  textAnchor={k === 0 ? 'start' : k === labelIdx.length - 1 ? 'end' : 'middle'}
                >
                  {bucketLabel(starts[i], step, timeZone)}
                </text>
              ))}
            {drag && !isClick(drag.x1, drag.x2) && (
              <rect
                x={Math.min(drag.x1, drag.x2)}
                y={0}
                width={Math.abs(drag.x2 - drag.x1)}
                height={plotH}
                className="selection"
              />
            )}
            <rect
              x={0}
              y={0}
              width={plotW}
              height={plotH}
              className="chart-hit"
              onPointerDown={onDown}
              onPointerMove={onMove}
              onPointerUp={onUp}
              onPointerCancel={() => setDrag(null)}
              onPointerLeave={() => setHover(null)}
            />
          </g>
        </svg>
        {buckets.length === 0 && <p className="chart-empty">No activity in this range.</p>}
      </div>
    </figure>
  )
}
