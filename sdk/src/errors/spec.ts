import { ShoalError } from "./base.js";

/** One rule a job spec breaks: where (`engine.image`, `inputs[2].mount`) and what the rule is. */
export type SpecIssue = {
  /** Field path in the spec, e.g. `inputs[0].mount`; `spec` for the document itself. */
  path: string;
  /** The rule, phrased as what the field must be. */
  rule: string;
};

export type InvalidSpecErrorType = InvalidSpecError & { name: "InvalidSpecError" };

/**
 * The job spec breaks one or more rules of job spec v1. `issues` lists every broken rule with
 * its field path; the short message names the first.
 *
 * @example
 * // engine.image: must be pinned by digest (name@sha256:<64 hex>)
 * if (error instanceof InvalidSpecError) for (const { path, rule } of error.issues) console.log(path, rule);
 */
export class InvalidSpecError extends ShoalError {
  /** Every broken rule, in document order. */
  readonly issues: readonly SpecIssue[];

  constructor({ issues, cause }: { issues: readonly SpecIssue[]; cause?: unknown }) {
    const [first] = issues;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
    super(`Invalid job spec: ${first ? `${first.path}: ${first.rule}` : "unknown problem"}${more}`, {
      cause,
      details: "", // the issues below say it all
      docsPath: `docs/job-spec.md${sectionOf(first?.path)}`,
      metaMessages: [...issues.map(({ path, rule }) => `- ${path}: ${rule}`), "Fix these fields and build the spec again."],
      name: "InvalidSpecError",
    });
    this.issues = issues;
  }
}

const SECTIONS = new Set(["version", "engine", "inputs", "outputs", "resources", "network", "deterministic"]);

/** The docs anchor of a field path's top-level field (`inputs[0].mount` → `#inputs`). */
function sectionOf(path: string | undefined): string {
  const top = path?.match(/^[A-Za-z]+/)?.[0];
  return top && SECTIONS.has(top) ? `#${top}` : "";
}

export type SpecTooLargeErrorType = SpecTooLargeError & { name: "SpecTooLargeError" };

/**
 * The canonical encoding of the spec is larger than the cap the JobMarket contract enforces
 * (`MAX_SPEC_SIZE`, 16,384 bytes).
 *
 * @example
 * if (error instanceof SpecTooLargeError) console.log(error.size, error.maxSize);
 */
export class SpecTooLargeError extends ShoalError {
  /** Encoded size in bytes. */
  readonly size: number;
  /** The cap in bytes. */
  readonly maxSize: number;

  constructor({ size, maxSize }: { size: number; maxSize: number }) {
    super(`Job spec is ${size} bytes encoded; the cap is ${maxSize} bytes.`, {
      docsPath: "docs/job-spec.md#size-cap",
      metaMessages: [
        "Shorten args, env or sources, or move large data into an input (a piece or a CID).",
      ],
      name: "SpecTooLargeError",
    });
    this.size = size;
    this.maxSize = maxSize;
  }
}
