import { type Hex, keccak256 } from "viem";

import { type EncodeSpecErrorType, encodeSpec } from "./encodeSpec.js";
import type { SpecInput } from "./schema.js";

export type HashSpecParameters = SpecInput | Uint8Array;

export type HashSpecReturnType = Hex;

export type HashSpecErrorType = EncodeSpecErrorType;

/**
 * keccak256 of a spec's canonical encoding. Given bytes, hashes them as they are (use it on
 * spec bytes read from a JobPosted event).
 *
 * @example
 * const specHash = hashSpec(spec); // 0x…, equal for equal specs
 */
export function hashSpec(spec: HashSpecParameters): HashSpecReturnType {
  return keccak256(spec instanceof Uint8Array ? spec : encodeSpec(spec));
}
