import * as z from "zod/v4/mini";

import {
  cidRule,
  dockerImageRule,
  ENV_KEY,
  ENV_KEY_RULE,
  jobIdRule,
  LONE_SURROGATE,
  moduleCidRule,
  type Normalized,
  pathRule,
  pieceRule,
  sourceUrlRule,
} from "./rules.js";

// Field schemas of job spec v1 for the exported zod schema (`specSchema`). The rules and their
// messages are in rules.ts, shared with the validator buildSpec runs (validate.ts); the field
// path is added by `toInvalidSpecError`. Written with zod's functional API (zod/v4/mini).

export { isWithin, pathRule } from "./rules.js";

/** A string that can appear in a spec: well-formed Unicode, no NUL (argv and env cannot hold one). */
export const text = z.string().check(
  z.refine((s) => !LONE_SURROGATE.test(s), { error: "must be well-formed Unicode (no lone surrogates)" }),
  z.refine((s) => !s.includes("\0"), { error: "must not contain NUL characters" }),
);

/** An environment variable name. */
export const envKey = z.string().check(z.regex(ENV_KEY, { error: ENV_KEY_RULE }));

/** A string normalized by `rule`; its failure stops the checks above it, as a zod transform does. */
const normalized = (rule: (source: string) => Normalized) =>
  z.pipe(
    z.string(),
    z.transform((source: string, ctx) => {
      const result = rule(source);
      if (result.message === undefined) return result.value;
      ctx.issues.push({ code: "custom", input: source, message: result.message });
      return z.NEVER;
    }),
  );

/** A string checked by `rule` (which reports and lets the checks above it run). */
const checked = (rule: (source: string) => string | undefined) =>
  z.string().check(
    rules((source: string, ctx) => {
      const message = rule(source);
      if (message) ctx.addIssue({ code: "custom", message });
    }),
  );

/** Any CID, normalized to CIDv1 base32. Piece CIDs belong in `piece`. */
export const cidString = normalized(cidRule);

/** A job of the same market whose settled result is an input (a pipeline step): its ID as a decimal string. */
export const jobId = checked(jobIdRule);

/** A WASM module CID: sha2-256, raw (the module's bytes) or dag-pb (a UnixFS file), normalized to CIDv1 base32. */
export const moduleCid = normalized(moduleCidRule);

/** A Filecoin piece CID (v1 `baga…` or v2 `bafkzcib…`), normalized to base32. */
export const pieceString = normalized(pieceRule);

/** An http(s) URL without credentials. */
export const sourceUrl = checked(sourceUrlRule);

/** A normalized absolute container path. */
export const containerPath = checked(pathRule);

/** A Docker image reference pinned by digest: `name[:tag]@sha256:<64 hex>`. */
export const dockerImage = checked(dockerImageRule);

/** A check that may report several issues, each with its own message and path (zod's superRefine). */
export function rules<T>(
  fn: (value: T, ctx: { addIssue(issue: { code: "custom"; message: string; path?: PropertyKey[] }): void }) => void,
): z.core.$ZodCheck<T> {
  return z.check<T>((payload) => {
    fn(payload.value, { addIssue: (issue) => payload.issues.push({ ...issue, input: payload.value, continue: true }) });
  });
}
