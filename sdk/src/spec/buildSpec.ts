import { InvalidSpecError, type InvalidSpecErrorType } from "../errors/spec.js";
import type { Spec, SpecInput } from "./schema.js";
import { validateSpec } from "./validate.js";

export type BuildSpecParameters = SpecInput;

export type BuildSpecReturnType = Spec;

export type BuildSpecErrorType = InvalidSpecErrorType;

/**
 * Validates a job spec v1, normalizes it (CIDs as CIDv1 base32) and fills in every default.
 * Throws an InvalidSpecError naming each broken rule with its field path, for example
 * `engine.image: must be pinned by digest (name@sha256:<64 hex>)`.
 *
 * The result is plain data (no `undefined` members), ready for {@link encodeSpec}.
 *
 * @example
 * const spec = buildSpec({
 *   version: 1,
 *   engine: { type: "wasm", module: "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq", args: ["--n", "10"] },
 *   inputs: [{ piece: "bafkzcibcp4bdomn3tgwgrh3g532zopskstnbrd2n3sxfqbze7rxt7vqn7veigmy", mount: "/inputs/data", locality: true }],
 *   resources: { cpu: 2, memoryMb: 1024, timeoutSec: 300 },
 * });
 * spec.engine.entrypoint; // "_start"
 * spec.deterministic; // true (wasm)
 */
export function buildSpec(input: BuildSpecParameters): BuildSpecReturnType {
  // The checks are validate.ts's, the same as the exported zod schema's (`specSchema`), without
  // zod: a dapp that submits jobs does not ship a schema library.
  const result = validateSpec(input);
  if (!result.success) throw new InvalidSpecError({ issues: result.issues });
  return result.data;
}
