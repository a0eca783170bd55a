import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError } from './api';
import { followLink } from './router';

export function Link({
  to,
  children,
  className,
  current = false,
}: {
  to: string;
  children: ReactNode;
  className?: string;
  current?: boolean;
}) {
  return (
    <a href={to} onClick={followLink} className={className} aria-current={current ? 'page' : undefined}>
      {children}
    </a>
  );
}

/** A request's progress and its error (the API's message, and its field issues), announced to screen readers. */
export function RequestStatus({ loading, error }: { loading: boolean; error: unknown }) {
  return (
    <>
      {loading ? (
        <p role="status" className="progress">
          Loading…
        </p>
      ) : null}
      {error !== null && error !== undefined ? <ErrorMessage error={error} /> : null}
    </>
  );
}

export function ErrorMessage({ error, onReload }: { error: unknown; onReload?: () => void }) {
  if (error instanceof ApiError && error.isVersionConflict) {
    return (
      <div role="alert" className="error">
        <p>
          <strong>Changed by someone else — reload.</strong> {error.message}
        </p>
        {onReload ? (
          <button type="button" onClick={onReload}>
            Reload
          </button>
        ) : null}
      </div>
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  const issues = error instanceof ApiError ? error.issues : [];
  return (
    <div role="alert" className="error">
      <p>{message}</p>
      {issues.length > 0 ? (
        <ul>
          {issues.map((issue) => (
            <li key={issue}>{issue}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export interface Loaded<T> {
  readonly data: T | null;
  readonly error: unknown;
  readonly loading: boolean;
  readonly reload: () => void;
}

/**
 * Loads on mount and when `key` changes; `reload()` loads again. With `pollMs`, it also loads again every
 * `pollMs` quietly (no progress shown, the data kept until the answer), for screens that watch a job's work.
 */
export function useLoad<T>(load: () => Promise<T>, key: string, pollMs?: number): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let current = true;
    setLoading(true);
    setError(null);
    loadRef.current().then(
      (value) => {
        if (!current) return;
        setData(value);
        setLoading(false);
      },
      (failure: unknown) => {
        if (!current) return;
        setError(failure);
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [key, generation]);
  useEffect(() => {
    if (pollMs === undefined) return;
    let current = true;
    const timer = setInterval(() => {
      loadRef.current().then(
        (value) => {
          if (!current) return;
          setData(value);
          setError(null);
        },
        (failure: unknown) => {
          if (current) setError(failure);
        },
      );
    }, pollMs);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [key, pollMs]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, loading, reload };
}

export interface Action {
  readonly busy: boolean;
  readonly error: unknown;
  /** Runs one request (or a few) with progress and error state; true when it succeeded. */
  readonly run: (work: () => Promise<unknown>) => Promise<boolean>;
  readonly clear: () => void;
}

/** A change the user asked for: its progress, and its error as the API's message. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      return true;
    } catch (failure) {
      setError(failure);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => setError(null), []);
  return { busy, error, run, clear };
}

/** An action's progress and error; `onReload` offers the reload a version conflict needs. */
export function ActionStatus({
  action,
  busyText = 'Saving…',
  onReload,
}: {
  action: Action;
  busyText?: string;
  onReload?: () => void;
}) {
  return (
    <>
      {action.busy ? (
        <p role="status" className="progress">
          {busyText}
        </p>
      ) : null}
      {action.error !== null ? <ErrorMessage error={action.error} onReload={onReload} /> : null}
    </>
  );
}

export interface Column<T> {
  readonly header: string;
  readonly cell: (row: T) => ReactNode;
  /** The cell names its row (`<th scope="row">`). */
  readonly rowHeader?: boolean;
}

/** A list as a table with scoped headers, scrolling inside its wrapper at phone width. */
export function DataTable<T>({
  caption,
  columns,
  rows,
  rowKey,
  empty,
  hideCaption = false,
}: {
  caption: string;
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
  empty: string;
  hideCaption?: boolean;
}) {
  if (rows.length === 0) return <p>{empty}</p>;
  return (
    <div className="table-wrap">
      <table>
        <caption className={hideCaption ? 'visually-hidden' : undefined}>{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th scope="col" key={column.header}>
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)}>
              {columns.map((column) =>
                column.rowHeader ? (
                  <th scope="row" key={column.header}>
                    {column.cell(row)}
                  </th>
                ) : (
                  <td key={column.header}>{column.cell(row)}</td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A page of a list (`GET` of a collection) as a table, captioned with its total; nothing until it has loaded. */
export function PageTable<T>({
  page,
  noun,
  ...table
}: {
  page: { readonly items: readonly T[]; readonly total: number } | null;
  /** What the rows are, in the plural: the caption is "<total> <noun>" (read by screen readers only). */
  noun: string;
  columns: readonly Column<T>[];
  rowKey: (row: T) => string;
  empty: string;
}) {
  if (page === null) return null;
  return <DataTable caption={`${page.total} ${noun}`} hideCaption rows={page.items} {...table} />;
}

/** What a change achieved, announced to screen readers; nothing while `message` is null. */
export function SuccessMessage({ message }: { message: string | null }) {
  if (message === null) return null;
  return (
    <p role="status" className="ok">
      {message}
    </p>
  );
}

/** A form's submit button, on its own row at the form's end, disabled while `busy`. */
export function SubmitActions({ busy, children }: { busy: boolean; children: ReactNode }) {
  return (
    <div className="actions">
      <button type="submit" className="primary" disabled={busy}>
        {children}
      </button>
    </div>
  );
}

/** A labelled checkbox (the label, after the box, names it). */
export function CheckField({
  label,
  checked,
  onChange,
}: {
  label: ReactNode;
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  return (
    <label className="check">
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
      {label}
    </label>
  );
}

/** A percentage (0–100, to a hundredth) as text, in a labelled number input. */
export function PercentField({
  label,
  value,
  onChange,
  required = false,
}: {
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  required?: boolean;
}) {
  return (
    <label>
      {label}
      <input
        type="number"
        min={0}
        max={100}
        step="0.01"
        inputMode="decimal"
        required={required}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    </label>
  );
}

/** Comma-separated text as a list of trimmed, non-empty items. */
export const listOf = (text: string): string[] =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

export const when = (iso: string | null | undefined): string =>
  iso === null || iso === undefined ? '—' : new Date(iso).toLocaleString();

/** Basis points as a percentage: 2500 → "25 %". */
export const share = (basisPoints: number): string => `${basisPoints / 100} %`;

/**
 * A confirmation as a modal `<dialog>`: focus moves into it, Escape cancels, and the question is its
 * accessible name.
 */
export function ConfirmDialog({
  question,
  confirmLabel,
  onConfirm,
  onCancel,
}: {
  question: string;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog !== null && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog ref={ref} aria-labelledby="confirm-question" onCancel={onCancel} className="confirm">
      <p id="confirm-question">{question}</p>
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="primary" onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
