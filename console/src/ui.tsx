import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError } from './api';
import { followLink } from './router';

export function Link({ to, children, className }: { to: string; children: ReactNode; className?: string }) {
  return (
    <a href={to} onClick={followLink} className={className}>
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

/** Loads on mount and when `key` changes; `reload()` loads again. */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
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
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, loading, reload };
}

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
