// A labelled form field with its hint and its error, wired for screen readers
// (aria-invalid, aria-describedby) and tests (`field-<name>-error`).
import type { JobField } from "../../lib/jobForm";

type ControlProps = { id: string; name: string; "aria-invalid": boolean; "aria-describedby"?: string };

export function Field({
  name,
  label,
  hint,
  error,
  children,
}: {
  name: JobField;
  label: string;
  hint?: string;
  error: string | undefined;
  children: (props: ControlProps) => React.ReactNode;
}) {
  const id = `field-${name}`;
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, name, "aria-invalid": error !== undefined, ...(described ? { "aria-describedby": described } : {}) })}
      {hint ? (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
      {error ? (
        <p className="field-error" id={`${id}-error`} data-testid={`field-${name}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}
