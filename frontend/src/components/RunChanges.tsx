// The accounts a run changed: a table filterable by action and searchable by name, paged on the
// server with cursors, each row expandable to its attribute changes (old → new). Its state lives
// in the run page's URL (?action=&q=&after=&before=) so that Back and bookmarks work.
import { Fragment, useEffect, useId, useRef, useState } from 'react'
import { useQuery } from 'urql'
import { RunChangesDocument, type ChangeAction, type ChangeFieldsFragment } from '../gql/graphql'
import { CHANGE_ACTIONS, actionLabel, changesNote, formatValue, isChangeAction, type RunCounts } from '../lib/changes'
import { formatInt, plural } from '../lib/format'
import { atFirstPage, pagerState } from '../lib/paging'
import { Link, navigate } from '../lib/router'
import { breakable, userPath } from './EventTable'
import { Pager } from './Pager'
import { RunChangesDownload } from './RunChangesDownload'
import { Empty, ErrorBox, Loading } from './Status'

/** CHANGES_PAGE is how many changes one page holds. */
export const CHANGES_PAGE = 50

const SETTLE_MS = 300

interface Props {
  event: RunCounts & { id: string; changesRecorded: number; changesCSVRows: number; changesCSVURL: string }
  params: URLSearchParams
  basePath: string
}

/** RunChanges lists a run's changed accounts. */
export function RunChanges({ event, params, basePath }: Props) {
  const id = useId()
  const action = isChangeAction(params.get('action')) ? (params.get('action') as ChangeAction) : ''
  const search = params.get('q') ?? ''
  const after = params.get('after') ?? ''
  const before = params.get('before') ?? ''
  const [open, setOpen] = useState<Set<string>>(new Set())
  const tableRef = useRef<HTMLDivElement>(null)

  function go(change: Record<string, string>, replace = false) {
    const next = new URLSearchParams(params)
    for (const [k, v] of Object.entries(change)) {
      if (v) next.set(k, v)
      else next.delete(k)
    }
    const qs = next.toString()
    navigate(basePath + (qs ? `?${qs}` : ''), { replace })
  }

  const [res, refetch] = useQuery({
    query: RunChangesDocument,
    variables: {
      id: event.id,
      ...(before ? { last: CHANGES_PAGE, before } : { first: CHANGES_PAGE, after: after || null }),
      action: action || null,
      search: search || null,
    },
  })
  const node = res.data?.node
  const conn = node && 'changes' in node ? node.changes : undefined
  const rows: ChangeFieldsFragment[] = (conn?.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []))
  const view = { after, before }
  const pager = pagerState(view, conn?.pageInfo, rows.length)

  // Paging back to the very first page drops the cursor from the URL.
  useEffect(() => {
    if (conn && atFirstPage(view, conn.pageInfo)) go({ after: '', before: '' }, true)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [conn])

  function toggle(key: string) {
    setOpen((s) => {
      const n = new Set(s)
      if (n.has(key)) n.delete(key)
      else n.add(key)
      return n
    })
  }

  function page(which: 'prev' | 'next') {
    const change = which === 'next' ? pager.next : pager.prev
    if (!change) return
    go({ after: change.after ?? '', before: change.before ?? '' })
    tableRef.current?.scrollIntoView?.({ block: 'start' })
  }

  const filtered = Boolean(action || search)
  return (
    <div className="card run-changes" aria-labelledby={`${id}-title`}>
      <div className="page-head">
        <div>
          <h2 id={`${id}-title`}>Changed accounts</h2>
          <p className="page-sub changes-note">{changesNote(event.changesRecorded, event)}</p>
        </div>
        <div className="page-actions">
          <RunChangesDownload eventID={event.id} rows={event.changesCSVRows} url={event.changesCSVURL} />
        </div>
      </div>
      {event.changesRecorded > 0 && (
        <div className="filter-bar changes-filters" role="search" aria-label="Filter the changed accounts">
          <div className="field">
            <label htmlFor={`${id}-action`}>Action</label>
            <select id={`${id}-action`} value={action} onChange={(e) => go({ action: e.target.value, after: '', before: '' })}>
              <option value="">All actions</option>
              {CHANGE_ACTIONS.map((a) => (
                <option key={a.value} value={a.value}>
                  {a.label} ({formatInt(event[a.count])} counted)
                </option>
              ))}
            </select>
          </div>
          <NameSearch id={`${id}-search`} value={search} onCommit={(q) => go({ q, after: '', before: '' })} />
        </div>
      )}
      {event.changesRecorded > 0 && (
        <div ref={tableRef}>
          {res.error ? (
            <ErrorBox error={res.error} title="Couldn't load the changed accounts" onRetry={() => refetch({ requestPolicy: 'network-only' })} />
          ) : !conn ? (
            <Loading label="Loading the changed accounts…" />
          ) : rows.length === 0 ? (
            <Empty title={filtered ? 'No changed accounts match' : 'No changed accounts'}>
              {filtered && (
                <p>
                  {action && `Only ${actionLabel(action).toLowerCase()} accounts are shown. `}
                  {search && `Only names containing “${search}” are shown. `}
                  <button type="button" className="link-button" onClick={() => go({ action: '', q: '', after: '', before: '' })}>
                    Show every changed account
                  </button>
                </p>
              )}
            </Empty>
          ) : (
            <>
              <Pager
                placement="top"
                state={pager}
                pageSize={CHANGES_PAGE}
                total={conn.totalCount}
                shown={rows.length}
                onPage={page}
                noun={['changed account', 'changed accounts']}
              />
              <div className="table-scroll">
                <table className="list-table changes phone-cards" aria-busy={res.fetching || undefined}>
                  <caption className="visually-hidden">
                    Accounts this run changed{action ? `, ${actionLabel(action).toLowerCase()} only` : ''}. Expand a row to see its attribute
                    changes.
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col" className="col-expand">
                        <span className="visually-hidden">Expand</span>
                      </th>
                      <th scope="col">Action</th>
                      <th scope="col">Account</th>
                      <th scope="col">Email</th>
                      <th scope="col">What changed</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((c) => {
                      // The account's username, as the change reports it or from the account itself.
                      const username = c.username || c.user.username
                      const expanded = open.has(c.id)
                      const detailId = `${id}-d-${c.id}`
                      const expandable = c.attributes.length > 0 || Boolean(c.message)
                      return (
                        <Fragment key={c.id}>
                          <tr className={expanded ? 'change-row expanded' : 'change-row'}>
                            <td className="col-expand">
                              {expandable && (
                                <button
                                  type="button"
                                  className="expand-button"
                                  aria-expanded={expanded}
                                  aria-controls={detailId}
                                  onClick={() => toggle(c.id)}
                                >
                                  <svg viewBox="0 0 16 16" aria-hidden="true" className={expanded ? 'chev open' : 'chev'}>
                                    <path d="M6 4l4 4-4 4" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
                                  </svg>
                                  <span className="visually-hidden">
                                    {expanded ? 'Hide' : 'Show'} the changes to {username}
                                  </span>
                                </button>
                              )}
                            </td>
                            <td data-label="Action" className="col-action">
                              <span className={`action-badge ${c.action.toLowerCase()}`}>{actionLabel(c.action)}</span>
                            </td>
                            <td data-label="Account" className="col-account">
                              <Link to={userPath(c.user.id)} title={c.displayName ?? undefined}>
                                {breakable(username)}
                              </Link>
                              {c.displayName && <span className="cell-sub">{c.displayName}</span>}
                            </td>
                            <td data-label="Email" className="col-email">{c.email ? breakable(c.email) : <span className="muted">—</span>}</td>
                            <td data-label="What changed" className="col-what">
                              {c.attributes.length > 0 ? (
                                <span>
                                  {plural(c.attributes.length, 'attribute')}
                                  <span className="cell-sub">{summariseNames(c.attributes.map((a) => a.name))}</span>
                                </span>
                              ) : c.message ? (
                                <span className="change-message">{c.message}</span>
                              ) : (
                                <span className="muted">—</span>
                              )}
                            </td>
                          </tr>
                          {expanded && (
                            <tr className="change-detail" id={detailId}>
                              <td />
                              <td colSpan={4}>
                                {c.message && <p className="change-message">{c.message}</p>}
                                {c.attributes.length > 0 && <AttributeTable change={c} />}
                              </td>
                            </tr>
                          )}
                        </Fragment>
                      )
                    })}
                  </tbody>
                </table>
              </div>
              <Pager
                placement="bottom"
                state={pager}
                pageSize={CHANGES_PAGE}
                total={conn.totalCount}
                shown={rows.length}
                onPage={page}
                noun={['changed account', 'changed accounts']}
              />
            </>
          )}
        </div>
      )}
    </div>
  )
}

/** summariseNames lists up to three attribute names and how many more there are. */
export function summariseNames(names: readonly string[]): string {
  if (names.length <= 3) return names.join(', ')
  return `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`
}

/** AttributeTable shows a change's attributes as old → new. */
function AttributeTable({ change }: { change: ChangeFieldsFragment }) {
  return (
    <table className="attributes">
      <caption className="visually-hidden">Attribute changes of {change.username || change.user.username}</caption>
      <thead>
        <tr>
          <th scope="col">Attribute</th>
          <th scope="col">Before</th>
          <th scope="col" aria-hidden="true" className="arrow-col" />
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {change.attributes.map((a) => (
          <tr key={a.name}>
            <th scope="row">
              <code>{a.name}</code>
            </th>
            <td className={a.old == null || a.old === '' ? 'value muted' : 'value old'}>{formatValue(a.old)}</td>
            <td aria-hidden="true" className="arrow-col">
              →
            </td>
            <td className={a.new == null || a.new === '' ? 'value muted' : 'value new'}>{formatValue(a.new)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** NameSearch is the run page's search box; typing settles before it reaches the URL. */
function NameSearch({ id, value, onCommit }: { id: string; value: string; onCommit: (v: string) => void }) {
  const [draft, setDraft] = useState(value)
  const [shown, setShown] = useState(value)
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  if (shown !== value) {
    setShown(value)
    setDraft(value)
  }
  useEffect(() => () => clearTimeout(timer.current), [])
  function commit(v: string) {
    clearTimeout(timer.current)
    if (v.trim() !== value) onCommit(v.trim())
  }
  return (
    <div className="field search-field">
      <label htmlFor={id}>Search accounts</label>
      <input
        id={id}
        type="search"
        value={draft}
        maxLength={100}
        placeholder="Username, name or email"
        onChange={(e) => {
          const v = e.target.value
          setDraft(v)
          clearTimeout(timer.current)
          timer.current = setTimeout(() => commit(v), SETTLE_MS)
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit((e.target as HTMLInputElement).value)
        }}
        onBlur={(e) => commit(e.target.value)}
      />
    </div>
  )
}
