import { SpecTooLargeError, type InvalidSpecErrorType, type SpecTooLargeErrorType } from "../errors/spec.js";
import { buildSpec } from "./buildSpec.js";
import { toCanonicalJson } from "./canonical.js";
import { MAX_SPEC_SIZE } from "./constants.js";
import type { SpecInput } from "./schema.js";

export type EncodeSpecParameters = SpecInput;

export type EncodeSpecReturnType = Uint8Array;

export type EncodeSpecErrorType = InvalidSpecErrorType | SpecTooLargeErrorType;

/**
 * Encodes a job spec canonically: the spec is built (validated, normalized, defaults filled
 * in), then written as canonical JSON (keys sorted recursively, no whitespace, integers only)
 * in UTF-8. The same spec always gives the same bytes, whatever order its keys were written in
 * and whether defaults were spelled out. Throws SpecTooLargeError past 16,384 bytes
 * ({@link MAX_SPEC_SIZE}, the JobMarket cap).
 *
 * @example
 * const bytes = encodeSpec(spec);
 * await market.write.submit([{ spec: toHex(bytes), ... }]);
 */
export function encodeSpec(spec: EncodeSpecParameters): EncodeSpecReturnType {
  const bytes = new TextEncoder().encode(toCanonicalJson(buildSpec(spec)));
  if (bytes.length > MAX_SPEC_SIZE) throw new SpecTooLargeError({ size: bytes.length, maxSize: MAX_SPEC_SIZE });
  return bytes;
}
