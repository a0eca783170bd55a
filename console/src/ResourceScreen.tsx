import { useState, type FormEvent } from 'react';
import type { Resource } from '../../shared/auth/permissions';
import type { Page } from '../../shared/pagination';
import { call } from './api';
import { can, type Session } from './session';
import {
  ActionStatus,
  CheckField,
  type Column,
  ConfirmDialog,
  PageTable,
  RequestStatus,
  SubmitActions,
  SuccessMessage,
  useAction,
  useLoad,
} from './ui';

/** A form's values as typed: text for inputs and selects, booleans for checkboxes. */
export type FormValues = Readonly<Record<string, string | boolean>>;

export interface FieldSpec {
  readonly name: string;
  readonly label: string;
  /** @default 'text' */
  readonly kind?: 'text' | 'textarea' | 'select' | 'number' | 'checkbox';
  readonly options?: readonly string[];
  readonly required?: boolean;
  readonly hint?: string;
}

interface Keyed {
  readonly key: string;
  readonly version: number;
}

/**
 * A versioned resource of the API (`GET/POST {path}`, `GET/PUT/DELETE {path}/{key}`) as a screen: its list,
 * and one form that creates or edits. Editing reads the resource first and saves with the version it read;
 * when someone saved in between, the API answers 409 and the form says "changed by someone else — reload".
 */
export interface ResourceSpec<T extends Keyed> {
  readonly resource: Resource;
  readonly path: string;
  readonly title: string;
  /** One of them, in lower case: "metric". */
  readonly noun: string;
  readonly intro?: string;
  readonly fields: readonly FieldSpec[];
  readonly columns: readonly Column<T>[];
  /** The form's values for an item (null: a new one). */
  readonly values: (item: T | null) => FormValues;
  /** The body of a POST (with the key added) or a PUT (with the version added); throws to refuse. */
  readonly body: (values: FormValues) => Record<string, unknown>;
}

export const text = (values: FormValues, name: string): string => {
  const value = values[name];
  return typeof value === 'string' ? value : '';
};

export const commonFields: readonly FieldSpec[] = [
  { name: 'name', label: 'Name', required: true },
  { name: 'tags', label: 'Tags (comma-separated)' },
  { name: 'description', label: 'Description', kind: 'textarea' },
];

export function commonValues(item: { name: string; description: string; tags: string[] } | null) {
  return { name: item?.name ?? '', description: item?.description ?? '', tags: item?.tags.join(', ') ?? '' };
}

export function commonBody(values: FormValues) {
  return {
    name: text(values, 'name'),
    description: text(values, 'description'),
    tags: text(values, 'tags')
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== ''),
  };
}

function Field({
  field,
  value,
  onChange,
}: {
  field: FieldSpec;
  value: string | boolean;
  onChange: (value: string | boolean) => void;
}) {
  const kind = field.kind ?? 'text';
  if (kind === 'checkbox')
    return <CheckField label={field.label} checked={value === true} onChange={onChange} />;
  const current = typeof value === 'string' ? value : '';
  const hintId = field.hint === undefined ? undefined : `hint-${field.name}`;
  return (
    <label className={kind === 'textarea' ? 'wide' : undefined}>
      {field.label}
      {kind === 'textarea' ? (
        <textarea
          value={current}
          required={field.required}
          aria-describedby={hintId}
          onChange={(e) => onChange(e.target.value)}
        />
      ) : kind === 'select' ? (
        <select value={current} aria-describedby={hintId} onChange={(e) => onChange(e.target.value)}>
          {(field.options ?? []).map((o) => (
            <option key={o} value={o}>
              {o === '' ? 'none' : o}
            </option>
          ))}
        </select>
      ) : (
        <input
          type={kind}
          value={current}
          required={field.required}
          aria-describedby={hintId}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
      {field.hint !== undefined ? (
        <span id={hintId} className="hint field-hint">
          {field.hint}
        </span>
      ) : null}
    </label>
  );
}

export function ResourceScreen<T extends Keyed>({
  session,
  spec,
}: {
  session: Session;
  spec: ResourceSpec<T>;
}) {
  const list = useLoad(() => call<Page<T>>(session.token, 'GET', `${spec.path}?page_size=100`), spec.path);
  const [editing, setEditing] = useState<T | null>(null);
  const [key, setKey] = useState('');
  const [values, setValues] = useState<FormValues>(() => spec.values(null));
  const [saved, setSaved] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<T | null>(null);
  const save = useAction();
  const open = useAction();
  const remove = useAction();
  const mayCreate = can(session, spec.resource, 'create');
  const mayUpdate = can(session, spec.resource, 'update');
  const mayDelete = can(session, spec.resource, 'delete');
  const itemPath = (k: string) => `${spec.path}/${encodeURIComponent(k)}`;

  const edit = (itemKey: string) =>
    open.run(async () => {
      const item = await call<T>(session.token, 'GET', itemPath(itemKey));
      setEditing(item);
      setKey(item.key);
      setValues(spec.values(item));
      setSaved(null);
      save.clear();
    });
  const startNew = () => {
    setEditing(null);
    setKey('');
    setValues(spec.values(null));
    setSaved(null);
    save.clear();
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(null);
    await save.run(async () => {
      const body = spec.body(values);
      const result =
        editing === null
          ? await call<T>(session.token, 'POST', spec.path, { key, ...body })
          : await call<T>(session.token, 'PUT', itemPath(editing.key), { ...body, version: editing.version });
      setEditing(result);
      setKey(result.key);
      setSaved(`Saved ${result.key}: version ${result.version}.`);
      list.reload();
    });
  };

  const confirmDelete = async (item: T) => {
    setDeleting(null);
    const ok = await remove.run(() =>
      call(session.token, 'DELETE', `${itemPath(item.key)}?version=${item.version}`),
    );
    if (ok) {
      if (editing?.key === item.key) startNew();
      list.reload();
    }
  };

  const showForm = editing === null ? mayCreate : mayUpdate;
  const formTitle = editing === null ? `New ${spec.noun}` : `Edit ${spec.noun} ${editing.key}`;
  const actions: Column<T>[] =
    mayUpdate || mayDelete
      ? [
          {
            header: 'Actions',
            cell: (item) => (
              <>
                {mayUpdate ? (
                  <button
                    type="button"
                    disabled={open.busy}
                    aria-label={`Edit ${item.key}`}
                    onClick={() => void edit(item.key)}
                  >
                    Edit
                  </button>
                ) : null}
                {mayDelete ? (
                  <button
                    type="button"
                    className="danger"
                    disabled={remove.busy}
                    aria-label={`Delete ${item.key}`}
                    onClick={() => setDeleting(item)}
                  >
                    Delete
                  </button>
                ) : null}
              </>
            ),
          },
        ]
      : [];

  return (
    <section aria-labelledby={`${spec.noun}-list-title`}>
      <h1 id={`${spec.noun}-list-title`}>{spec.title}</h1>
      {spec.intro !== undefined ? <p className="hint">{spec.intro}</p> : null}
      <RequestStatus loading={list.loading} error={list.error} />
      <ActionStatus action={open} busyText="Opening…" />
      <ActionStatus action={remove} busyText="Deleting…" onReload={list.reload} />
      <PageTable
        page={list.data}
        noun={spec.title.toLowerCase()}
        rowKey={(item) => item.key}
        empty={`No ${spec.noun} yet.`}
        columns={[...spec.columns, ...actions]}
      />
      {showForm ? (
        <form onSubmit={(e) => void submit(e)} aria-labelledby={`${spec.noun}-form-title`} className="panel">
          <div className="title-row">
            <h2 id={`${spec.noun}-form-title`}>{formTitle}</h2>
            {editing !== null && mayCreate ? (
              <button type="button" onClick={startNew}>
                New {spec.noun} instead
              </button>
            ) : null}
          </div>
          {editing !== null ? <p className="hint">Version {editing.version}</p> : null}
          <fieldset disabled={save.busy} className="plain grid">
            <label>
              Key
              <input
                required
                value={key}
                readOnly={editing !== null}
                pattern="[a-z0-9][a-z0-9._\-]{0,63}"
                title="1–64 of a-z 0-9 . _ - starting with a letter or digit"
                onChange={(e) => setKey(e.target.value)}
              />
            </label>
            {spec.fields.map((field) => (
              <Field
                key={field.name}
                field={field}
                value={values[field.name] ?? ''}
                onChange={(value) => setValues((v) => ({ ...v, [field.name]: value }))}
              />
            ))}
          </fieldset>
          <ActionStatus
            action={save}
            onReload={() => {
              if (editing !== null) void edit(editing.key);
              list.reload();
            }}
          />
          <SuccessMessage message={saved} />
          <SubmitActions busy={save.busy}>{editing === null ? `Create ${spec.noun}` : 'Save'}</SubmitActions>
        </form>
      ) : null}
      {deleting !== null ? (
        <ConfirmDialog
          question={`Delete ${spec.noun} ${deleting.key}? This cannot be undone.`}
          confirmLabel="Delete"
          onCancel={() => setDeleting(null)}
          onConfirm={() => void confirmDelete(deleting)}
        />
      ) : null}
    </section>
  );
}
