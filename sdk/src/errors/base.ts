/** Parameters shared by every {@link ShoalError}. */
export type ShoalErrorParameters = {
  /** The error that caused this one, if any. */
  cause?: unknown;
  /** Technical details (defaults to the cause's message). */
  details?: string;
  /** Where the docs explain this failure, as a repository path (`docs/job-spec.md#engine`). */
  docsPath?: string;
  /** Extra lines shown under the short message: what was found, what to do. */
  metaMessages?: string[];
  /** The class name; subclasses pass their own. */
  name?: string;
};

export type ShoalErrorType = ShoalError & { name: "ShoalError" };

/**
 * Base class of every error the Shoal SDK throws. The `message` is made of a one-line
 * `shortMessage`, optional meta lines, the docs path and the cause's details; `walk()` follows
 * the `cause` chain.
 *
 * @example
 * try {
 *   buildSpec(input);
 * } catch (error) {
 *   if (error instanceof ShoalError) console.error(error.shortMessage);
 * }
 */
export class ShoalError extends Error {
  /** One line that says what went wrong. */
  readonly shortMessage: string;
  /** Technical details, usually from the cause. */
  readonly details: string;
  /** Repository path of the relevant docs section. */
  readonly docsPath: string | undefined;
  /** Extra lines: what was found, what to do. */
  readonly metaMessages: string[] | undefined;

  constructor(shortMessage: string, parameters: ShoalErrorParameters = {}) {
    const { cause, metaMessages } = parameters;
    const details =
      parameters.details ??
      (cause instanceof ShoalError ? cause.details : cause instanceof Error ? cause.message : "");
    const docsPath = parameters.docsPath ?? (cause instanceof ShoalError ? cause.docsPath : undefined);
    const message = [
      shortMessage || "An error occurred.",
      ...(metaMessages?.length ? ["", ...metaMessages] : []),
      ...(docsPath || details ? [""] : []),
      ...(docsPath ? [`Docs: ${docsPath}`] : []),
      ...(details ? [`Details: ${details}`] : []),
    ].join("\n");
    super(message, cause === undefined ? undefined : { cause });
    this.name = parameters.name ?? "ShoalError";
    this.shortMessage = shortMessage;
    this.details = details;
    this.docsPath = docsPath;
    this.metaMessages = metaMessages;
  }

  /**
   * Follows the `cause` chain. Without `fn`, returns the deepest error; with it, the first
   * error (this one included) for which `fn` returns true, or null.
   *
   * @example
   * const tooLarge = error.walk((e) => e instanceof ResultTooLargeError);
   */
  walk(fn?: (error: unknown) => boolean): unknown {
    return walk(this, fn);
  }
}

function walk(error: unknown, fn?: (error: unknown) => boolean): unknown {
  if (fn?.(error)) return error;
  const cause = (error as { cause?: unknown } | null | undefined)?.cause;
  if (error && typeof error === "object" && cause !== undefined) return walk(cause, fn);
  return fn ? null : error;
}
