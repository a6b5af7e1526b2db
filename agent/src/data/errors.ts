/**
 * Why an input could not be made available to a job. The pipeline fails the job with `code` and
 * `reason`; the agent keeps serving other jobs.
 */
export type InputErrorCode = "INPUT_UNAVAILABLE" | "INPUT_CORRUPT" | "INPUT_TOO_LARGE" | "INPUT_CHANGED";

/** Base class of the input errors: the input's CID, a one-line reason and a hint for the operator. */
export class InputError extends Error {
  readonly code: InputErrorCode;
  readonly component = "data";
  /** The CID the spec names (piece CID or IPFS CID). */
  readonly cid: string;
  /** What went wrong, in one line. */
  readonly reason: string;
  readonly hint: string | undefined;

  constructor(
    code: InputErrorCode,
    { cid, reason, hint, cause }: { cid: string; reason: string; hint?: string; cause?: unknown },
  ) {
    super(`Input ${cid} ${describe(code)}: ${reason}`, cause === undefined ? undefined : { cause });
    this.code = code;
    this.cid = cid;
    this.reason = reason;
    this.hint = hint;
  }
}

/** No source holds the input, or none answered (HTTP error, timeout, unreadable file). */
export class InputUnavailableError extends InputError {
  constructor(parameters: { cid: string; reason: string; hint?: string; cause?: unknown }) {
    super("INPUT_UNAVAILABLE", {
      hint: "Check that the piece or block is stored here and that the provider's endpoints answer.",
      ...parameters,
    });
    this.name = "InputUnavailableError";
  }
}

/** A source served bytes that do not match the CID: wrong CommP, bad block, oversize, truncated. */
export class InputCorruptError extends InputError {
  constructor(parameters: { cid: string; reason: string; hint?: string; cause?: unknown }) {
    super("INPUT_CORRUPT", {
      hint: "The stored copy does not match its CID: re-fetch or re-unseal it.",
      ...parameters,
    });
    this.name = "InputCorruptError";
  }
}

/** A `cid` input is larger than this agent accepts (`maxCidBytes`). */
export class InputTooLargeError extends InputError {
  constructor(parameters: { cid: string; reason: string; hint?: string; cause?: unknown }) {
    super("INPUT_TOO_LARGE", { hint: "Raise the agent's maxCidBytes to accept larger CID inputs.", ...parameters });
    this.name = "InputTooLargeError";
  }
}

/**
 * A stored piece mounted in place changed (rewritten, grown, truncated or replaced) while it was
 * verified or while a job read it: what the job read is not known to be the piece.
 */
export class InputChangedError extends InputError {
  constructor(parameters: { cid: string; reason: string; hint?: string; cause?: unknown }) {
    super("INPUT_CHANGED", {
      hint: "Do not rewrite or replace stored pieces while the agent serves them; the next job verifies the new file.",
      ...parameters,
    });
    this.name = "InputChangedError";
  }
}

function describe(code: InputErrorCode): string {
  if (code === "INPUT_UNAVAILABLE") return "is unavailable";
  if (code === "INPUT_CORRUPT") return "is corrupt";
  if (code === "INPUT_CHANGED") return "changed while in use";
  return "is too large";
}
