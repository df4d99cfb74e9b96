// Sign-in settings (administrators): the school's single sign-on providers (OpenID Connect) and
// whether passwords may still be used. Client secrets are write-only: the page only says whether
// one is stored.
import { useId, useState, type FormEvent } from 'react'
import { useMutation, useQuery } from 'urql'
import { Empty, ErrorBox, Loading } from '../components/Status'
import {
  AddSignInProviderDocument,
  RemoveSignInProviderDocument,
  SetPasswordSignInDocument,
  SignInSettingsDocument,
  type SignInProviderFieldsFragment,
} from '../gql/graphql'
import { describeError } from '../lib/errors'
import { useSession } from '../session'

/** splitDomains turns "a.edu, b.edu" into ["a.edu", "b.edu"]. */
function splitDomains(s: string): string[] {
  return s
    .split(/[\s,]+/)
    .map((d) => d.trim())
    .filter(Boolean)
}

/** SignInSettingsPage manages the school's sign-in providers and the password switch. */
export default function SignInSettingsPage() {
  const { school } = useSession()
  const [res, refetch] = useQuery({
    query: SignInSettingsDocument,
    variables: { school: school?.slug ?? '' },
    pause: !school,
  })
  const reload = () => refetch({ requestPolicy: 'network-only' })
  const providers = res.data?.signInProviders ?? []
  const callback = `${window.location.origin}/auth/oidc/callback`

  return (
    <section className="page" aria-labelledby="signin-settings-title">
      <div className="page-head">
        <div>
          <h1 id="signin-settings-title">Sign-in settings</h1>
          <p className="page-sub">
            Let staff sign in with the school's own accounts (Google Workspace, Microsoft Entra ID or any OpenID Connect provider). Register this redirect URI
            with the provider: <code>{callback}</code>
          </p>
        </div>
      </div>
      {res.error ? (
        <ErrorBox error={res.error} title="Couldn't load the sign-in settings" onRetry={reload} />
      ) : !res.data ? (
        <Loading label="Loading sign-in settings…" />
      ) : (
        <>
          <PasswordSwitch enabled={res.data.signInOptions.passwordSignIn} onChanged={reload} />
          <AddProvider onAdded={reload} />
          <div className="table-card">
            {providers.length === 0 ? (
              <Empty title="No sign-in providers yet">
                <p>Add your school's provider above; its button then appears on the sign-in page.</p>
              </Empty>
            ) : (
              <div className="table-scroll">
                <table className="list-table">
                  <caption className="visually-hidden">Sign-in providers</caption>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Issuer</th>
                      <th scope="col">Client ID</th>
                      <th scope="col">Secret</th>
                      <th scope="col">Domains</th>
                      <th scope="col">Groups (admin / viewer)</th>
                      <th scope="col">Others</th>
                      <th scope="col">
                        <span className="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {providers.map((p) => (
                      <ProviderRow key={p.id} provider={p} onChanged={reload} />
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </div>
        </>
      )}
    </section>
  )
}

function PasswordSwitch({ enabled, onChanged }: { enabled: boolean; onChanged: () => void }) {
  const [error, setError] = useState('')
  const [{ fetching }, set] = useMutation(SetPasswordSignInDocument)
  async function toggle() {
    setError('')
    const res = await set({ enabled: !enabled })
    if (res.error) return setError(describeError(res.error))
    onChanged()
  }
  return (
    <div className="card">
      <h2>Passwords</h2>
      {error && (
        <div className="alert error" role="alert">
          {error}
        </div>
      )}
      <p>{enabled ? 'Users may also sign in with a username and password.' : "Passwords are off: users sign in with the school's accounts only."}</p>
      <button type="button" className="button secondary" onClick={toggle} disabled={fetching}>
        {enabled ? 'Turn passwords off' : 'Turn passwords on'}
      </button>
    </div>
  )
}

function ProviderRow({ provider: p, onChanged }: { provider: SignInProviderFieldsFragment; onChanged: () => void }) {
  const [error, setError] = useState('')
  const [confirming, setConfirming] = useState(false)
  const [{ fetching }, remove] = useMutation(RemoveSignInProviderDocument)
  async function onRemove() {
    setError('')
    const res = await remove({ id: p.id })
    if (res.error) {
      setConfirming(false)
      return setError(describeError(res.error))
    }
    onChanged()
  }
  return (
    <tr>
      <th scope="row">{p.name}</th>
      <td>
        <code>{p.issuer}</code>
      </td>
      <td>
        <code>{p.clientId}</code>
      </td>
      <td>{p.hasClientSecret ? 'Stored' : 'None'}</td>
      <td>{p.allowedDomains.length ? p.allowedDomains.join(', ') : 'Any'}</td>
      <td>
        {p.adminGroup || '—'} / {p.viewerGroup || '—'}
      </td>
      <td>{p.defaultRole === 'VIEWER' ? 'Viewer' : 'No access'}</td>
      <td>
        {error && (
          <span className="small error-text" role="alert">
            {error}{' '}
          </span>
        )}
        {confirming ? (
          <>
            <button type="button" className="button danger small" onClick={onRemove} disabled={fetching}>
              Remove {p.name}
            </button>{' '}
            <button type="button" className="button secondary small" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </>
        ) : (
          <button type="button" className="button secondary small" onClick={() => setConfirming(true)}>
            Remove…
          </button>
        )}
      </td>
    </tr>
  )
}

function AddProvider({ onAdded }: { onAdded: () => void }) {
  const id = useId()
  const [f, setF] = useState({
    name: '',
    issuer: '',
    clientId: '',
    clientSecret: '',
    domains: '',
    adminGroup: '',
    viewerGroup: '',
    viewers: false,
  })
  const [error, setError] = useState('')
  const [{ fetching }, add] = useMutation(AddSignInProviderDocument)
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF((cur) => ({ ...cur, [k]: e.target.value }))

  async function onSubmit(e: FormEvent) {
    e.preventDefault()
    setError('')
    if (!f.name.trim() || !f.issuer.trim() || !f.clientId.trim()) return setError('Name, issuer URL and client ID are required.')
    const res = await add({
      input: {
        name: f.name.trim(),
        issuer: f.issuer.trim(),
        clientId: f.clientId.trim(),
        clientSecret: f.clientSecret || null,
        allowedDomains: splitDomains(f.domains),
        adminGroup: f.adminGroup.trim(),
        viewerGroup: f.viewerGroup.trim(),
        defaultRole: f.viewers ? 'VIEWER' : 'NONE',
      },
    })
    if (res.error) return setError(describeError(res.error))
    setF({
      name: '',
      issuer: '',
      clientId: '',
      clientSecret: '',
      domains: '',
      adminGroup: '',
      viewerGroup: '',
      viewers: false,
    })
    onAdded()
  }

  const field = (k: keyof typeof f, label: string, hint?: string, type = 'text') => (
    <div className="field">
      <label htmlFor={`${id}-${k}`}>
        {label} {hint && <span className="field-hint">{hint}</span>}
      </label>
      <input id={`${id}-${k}`} type={type} value={f[k] as string} onChange={set(k)} autoComplete="off" />
    </div>
  )

  return (
    <form className="card" onSubmit={onSubmit} aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Add a provider</h2>
      {error && (
        <div className="alert error" role="alert">
          {error}
        </div>
      )}
      <div className="form-grid">
        {field('name', 'Name', '(the button reads “Sign in with …”)')}
        {field('issuer', 'Issuer URL', '(e.g. https://accounts.google.com)')}
        {field('clientId', 'Client ID')}
        {field('clientSecret', 'Client secret', '(stored encrypted, never shown again)', 'password')}
        {field('domains', 'Allowed email domains', '(comma-separated; empty allows all)')}
        {field('adminGroup', 'Admin group', '(optional)')}
        {field('viewerGroup', 'Viewer group', '(optional)')}
        <label className="check">
          <input type="checkbox" checked={f.viewers} onChange={(e) => setF((cur) => ({ ...cur, viewers: e.target.checked }))} />
          <span>Everyone else who signs in becomes a viewer</span>
        </label>
        <div>
          <button type="submit" className="button primary" disabled={fetching}>
            {fetching ? 'Adding…' : 'Add provider'}
          </button>
        </div>
      </div>
    </form>
  )
}
