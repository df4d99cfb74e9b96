// API tokens (administrators): for provisioning agents that record events and for scripts that
// read the report. A token's secret is shown once, when it is created.
import { useId, useRef, useState, type FormEvent } from 'react'
import { useMutation, useQuery } from 'urql'
import { Empty, ErrorBox, Loading } from '../components/Status'
import { ApiTokensDocument, CreateApiTokenDocument, RevokeApiTokenDocument, type ApiTokenFieldsFragment } from '../gql/graphql'
import { describeError } from '../lib/errors'
import { formatDateTime, localToInstant } from '../lib/time'
import { useSession } from '../session'

/** SCOPES are the scopes a token can have, with what they allow. */
export const SCOPES = [
  { value: 'reports:read', label: 'reports:read', help: 'Read the report and its exports' },
  { value: 'events:write', label: 'events:write', help: 'Record provisioning events (agents)' },
] as const

/** tokenState says whether a token still works. */
export function tokenState(t: Pick<ApiTokenFieldsFragment, 'revokedAt' | 'expiresAt'>, now = Date.now()): 'active' | 'revoked' | 'expired' {
  if (t.revokedAt) return 'revoked'
  if (t.expiresAt && new Date(t.expiresAt).getTime() <= now) return 'expired'
  return 'active'
}

/** TokensPage lists, creates and revokes API tokens. */
export default function TokensPage() {
  const { school } = useSession()
  const tz = school?.timezone ?? 'UTC'
  const [res, refetch] = useQuery({ query: ApiTokensDocument })
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null)
  const tokens = res.data?.apiTokens ?? []

  return (
    <section className="page" aria-labelledby="tokens-title">
      <div className="page-head">
        <div>
          <h1 id="tokens-title">API tokens</h1>
          <p className="page-sub">
            For provisioning agents and scripts. Send the secret as <code>Authorization: Bearer …</code>.
          </p>
        </div>
      </div>

      {created && <SecretOnce name={created.name} secret={created.secret} onDone={() => setCreated(null)} />}

      <CreateToken
        timeZone={tz}
        onCreated={(name, secret) => {
          setCreated({ name, secret })
          refetch({ requestPolicy: 'network-only' })
        }}
      />

      <div className="table-card">
        {res.error ? (
          <ErrorBox error={res.error} title="Couldn't load the tokens" onRetry={() => refetch({ requestPolicy: 'network-only' })} />
        ) : !res.data ? (
          <Loading label="Loading tokens…" />
        ) : tokens.length === 0 ? (
          <Empty title="No API tokens yet">
            <p>Create one above for each agent or script, so each can be revoked on its own.</p>
          </Empty>
        ) : (
          <div className="table-scroll">
            <table className="list-table">
              <caption className="visually-hidden">API tokens</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Scopes</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tokens.map((t) => (
                  <TokenRow key={t.id} token={t} timeZone={tz} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </section>
  )
}

function CreateToken({ timeZone, onCreated }: { timeZone: string; onCreated: (name: string, secret: string) => void }) {
  const id = useId()
  const [name, setName] = useState('')
  const [scopes, setScopes] = useState<string[]>(['events:write'])
  const [expires, setExpires] = useState('')
  const [error, setError] = useState('')
  const [{ fetching }, create] = useMutation(CreateApiTokenDocument)

  async function onSubmit(e: FormEvent) {
    e.preventDefault()
    setError('')
    if (!name.trim()) return setError('Give the token a name, e.g. the agent that will use it.')
    if (scopes.length === 0) return setError('Pick at least one scope.')
    // A token expires at the end of the chosen day, school time.
    const expiresAt = expires ? localToInstant(`${expires}T23:59:59`, timeZone)?.toISOString() : null
    const res = await create({ name: name.trim(), scopes, expiresAt })
    if (res.error || !res.data) return setError(describeError(res.error))
    onCreated(res.data.createAPIToken.token.name, res.data.createAPIToken.secret)
    setName('')
    setExpires('')
  }

  return (
    <form className="card" onSubmit={onSubmit} aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Create a token</h2>
      {error && (
        <div className="alert error" role="alert">
          {error}
        </div>
      )}
      <div className="form-grid token-form">
        <div className="field">
          <label htmlFor={`${id}-name`}>Name</label>
          <input id={`${id}-name`} type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. LDAP sync agent" maxLength={100} />
        </div>
        <fieldset className="fieldset-plain">
          <legend>Scopes</legend>
          {SCOPES.map((s) => (
            <label key={s.value} className="check">
              <input
                type="checkbox"
                checked={scopes.includes(s.value)}
                onChange={(e) => setScopes((cur) => (e.target.checked ? [...cur, s.value] : cur.filter((v) => v !== s.value)))}
              />
              <span className="scope-choice">
                <code>{s.label}</code>
                <span className="muted small">{s.help}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor={`${id}-exp`}>
            Expires <span className="field-hint">(optional)</span>
          </label>
          <input id={`${id}-exp`} type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
        </div>
        <div>
          <button type="submit" className="button primary" disabled={fetching}>
            {fetching ? 'Creating…' : 'Create token'}
          </button>
        </div>
      </div>
    </form>
  )
}

function SecretOnce({ name, secret, onDone }: { name: string; secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState<'' | 'yes' | 'no'>('')
  const codeRef = useRef<HTMLElement>(null)
  async function copy() {
    try {
      await navigator.clipboard.writeText(secret)
      setCopied('yes')
    } catch {
      // Clipboard access can be refused; select the text so Ctrl+C works.
      const sel = window.getSelection()
      if (sel && codeRef.current) {
        sel.selectAllChildren(codeRef.current)
      }
      setCopied('no')
    }
  }
  return (
    <div className="alert success" role="status">
      <p>
        <strong>Token “{name}” created.</strong> Copy its secret now: it won't be shown again.
      </p>
      <div className="secret-box">
        <code ref={codeRef} aria-label="Token secret">
          {secret}
        </code>
        <button type="button" className="button secondary small" onClick={copy}>
          {copied === 'yes' ? 'Copied' : 'Copy'}
        </button>
        <button type="button" className="button secondary small" onClick={onDone}>
          Done
        </button>
      </div>
      {copied === 'no' && <p className="small">Couldn't copy automatically; the secret is selected, press Ctrl+C.</p>}
    </div>
  )
}

function TokenRow({ token, timeZone }: { token: ApiTokenFieldsFragment; timeZone: string }) {
  const [confirming, setConfirming] = useState(false)
  const [error, setError] = useState('')
  const [{ fetching }, revoke] = useMutation(RevokeApiTokenDocument)
  const state = tokenState(token)
  return (
    <tr>
      <td>
        <strong>{token.name}</strong>
      </td>
      <td>
        {token.scopes.map((s) => (
          <code key={s} className="scope">
            {s}
          </code>
        ))}
      </td>
      <td className="col-date">{formatDateTime(token.createdAt, timeZone, false)}</td>
      <td className="col-date">{token.lastUsedAt ? formatDateTime(token.lastUsedAt, timeZone, false) : <span className="muted">Never</span>}</td>
      <td className="col-date">{token.expiresAt ? formatDateTime(token.expiresAt, timeZone, false) : <span className="muted">Never</span>}</td>
      <td>
        <span className={`status-badge ${state === 'active' ? 'ready' : state}`}>
          {state === 'active' ? 'Active' : state === 'revoked' ? 'Revoked' : 'Expired'}
        </span>
      </td>
      <td>
        {state === 'active' &&
          (confirming ? (
            <span className="confirm">
              <button
                type="button"
                className="button danger small"
                disabled={fetching}
                onClick={async () => {
                  setError('')
                  const r = await revoke({ id: token.id })
                  if (r.error) setError(describeError(r.error))
                  setConfirming(false)
                }}
              >
                {fetching ? 'Revoking…' : `Revoke “${token.name}”`}
              </button>{' '}
              <button type="button" className="button secondary small" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </span>
          ) : (
            <button type="button" className="button danger small" onClick={() => setConfirming(true)}>
              Revoke
            </button>
          ))}
        {error && (
          <span className="cell-sub field-error" role="alert">
            {error}
          </span>
        )}
      </td>
    </tr>
  )
}
