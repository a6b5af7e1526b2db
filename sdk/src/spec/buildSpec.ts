import type { InvalidSpecErrorType } from "../errors/spec.js";
import { specErrorMap, toInvalidSpecError } from "./issues.js";
import { type Spec, type SpecInput, specSchema } from "./schema.js";

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
  const result = specSchema.safeParse(input, { error: specErrorMap });
  if (!result.success) throw toInvalidSpecError(result.error);
  return withoutUndefined(result.data);
}

/** Drops object members whose value is undefined (zod keeps explicit `undefined` for optional fields). */
function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutUndefined) as T;
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) if (member !== undefined) out[key] = withoutUndefined(member);
  return out as T;
}
