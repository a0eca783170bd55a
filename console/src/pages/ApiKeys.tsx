import { useState, type FormEvent } from 'react';
import type { ApiKey, ApiKeyType, CreatedApiKey } from '../../../shared/api-keys/schema';
import type { Page } from '../../../shared/pagination';
import { call } from '../api';
import { can, type Session } from '../session';
import { ActionStatus, ConfirmDialog, PageTable, RequestStatus, useAction, useLoad, when } from '../ui';

const KEY_TYPES: Readonly<Record<ApiKeyType, string>> = {
  server: 'server: every flag, the ruleset',
  client: 'client: client-side flags only',
};

/**
 * SDK API keys: the list (never a secret), a form that creates one and shows its secret once, with a copy
 * button (the console keeps it nowhere), and revocation after a confirmation.
 */
export function ApiKeys({ session }: { session: Session }) {
  const keys = useLoad(
    () => call<Page<ApiKey>>(session.token, 'GET', '/api/v1/api-keys?page_size=100'),
    'api-keys',
  );
  const [name, setName] = useState('');
  const [type, setType] = useState<ApiKeyType>('server');
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const create = useAction();
  const revoke = useAction();
  const mayCreate = can(session, 'apiKeys', 'create');
  const mayRevoke = can(session, 'apiKeys', 'delete');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    setCopied(null);
    await create.run(async () => {
      setCreated(await call<CreatedApiKey>(session.token, 'POST', '/api/v1/api-keys', { name, type }));
      setName('');
      keys.reload();
    });
  };

  const copy = async (secret: string) => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('Copied to the clipboard.');
    } catch {
      setCopied('The browser refused the clipboard: select the secret and copy it by hand.');
    }
  };

  const confirmRevoke = async (key: ApiKey) => {
    setRevoking(null);
    await revoke.run(async () => {
      await call(session.token, 'DELETE', `/api/v1/api-keys/${encodeURIComponent(key.id)}`);
      keys.reload();
    });
  };

  return (
    <section aria-labelledby="api-keys-title">
      <h1 id="api-keys-title">API keys</h1>
      <p className="hint">
        SDKs send a key as <code>Authorization: Bearer &lt;secret&gt;</code>. A revoked key is refused within
        5 minutes (the authorizer’s cache).
      </p>
      <RequestStatus loading={keys.loading} error={keys.error} />
      <ActionStatus action={revoke} busyText="Revoking…" />
      <PageTable
        page={keys.data}
        noun="API keys"
        rowKey={(k) => k.id}
        empty="No API key yet."
        columns={[
          { header: 'Name', rowHeader: true, cell: (k) => k.name },
          { header: 'Type', cell: (k) => k.type },
          { header: 'Starts with', cell: (k) => <code>{k.prefix}…</code> },
          { header: 'Created', cell: (k) => when(k.createdAt) },
          { header: 'Last used', cell: (k) => (k.lastUsedAt === null ? 'never' : when(k.lastUsedAt)) },
          {
            header: 'State',
            cell: (k) =>
              k.revokedAt !== null ? (
                <span className="badge warn">revoked {when(k.revokedAt)}</span>
              ) : mayRevoke ? (
                <button
                  type="button"
                  className="danger"
                  disabled={revoke.busy}
                  aria-label={`Revoke ${k.name}`}
                  onClick={() => setRevoking(k)}
                >
                  Revoke
                </button>
              ) : (
                'active'
              ),
          },
        ]}
      />
      {mayCreate ? (
        <form onSubmit={(e) => void submit(e)} aria-labelledby="new-key-title" className="panel">
          <h2 id="new-key-title">New API key</h2>
          <fieldset disabled={create.busy} className="plain row">
            <label>
              Name
              <input required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
            </label>
            <label>
              Type
              <select value={type} onChange={(e) => setType(e.target.value as ApiKeyType)}>
                {Object.entries(KEY_TYPES).map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" className="primary">
              Create key
            </button>
          </fieldset>
          <ActionStatus action={create} busyText="Creating…" />
        </form>
      ) : null}
      {created !== null ? (
        <div className="secret" role="region" aria-labelledby="secret-title">
          <h2 id="secret-title">Secret of {created.name}</h2>
          <p>
            <strong>Shown once:</strong> Switchyard keeps only its hash. Copy it into your application’s
            secrets now.
          </p>
          <div className="row">
            <code data-testid="api-key-secret" className="secret-value">
              {created.secret}
            </code>
            <button type="button" onClick={() => void copy(created.secret)}>
              Copy secret
            </button>
            <button type="button" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
          {copied !== null ? <p role="status">{copied}</p> : null}
        </div>
      ) : null}
      {revoking !== null ? (
        <ConfirmDialog
          question={`Revoke ${revoking.name}? SDKs using it are refused within 5 minutes; this cannot be undone.`}
          confirmLabel="Revoke"
          onCancel={() => setRevoking(null)}
          onConfirm={() => void confirmRevoke(revoking)}
        />
      ) : null}
    </section>
  );
}
