// Loading, empty and error states, the same on every page.
import { explainError } from "../lib/errors";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="state loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return <p className="state empty">{children}</p>;
}

/** One sentence saying what went wrong and what to do; `error` may be an Error or a sentence. */
export function ErrorLine({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const text = typeof error === "string" ? error : explainError(error);
  return (
    <div className="state error">
      <p role="alert" data-testid="error">
        {text}
      </p>
      {onRetry ? (
        <button type="button" className="secondary" onClick={onRetry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}
