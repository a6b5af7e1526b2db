import { type Hex, hexToBytes, isHex } from "viem";

import { InvalidSpecError, SpecTooLargeError, type InvalidSpecErrorType, type SpecTooLargeErrorType } from "../errors/spec.js";
import { buildSpec } from "./buildSpec.js";
import { toCanonicalJson } from "./canonical.js";
import { MAX_SPEC_SIZE } from "./constants.js";
import type { Spec } from "./schema.js";

export type DecodeSpecParameters = Uint8Array | Hex;

export type DecodeSpecReturnType = Spec;

export type DecodeSpecErrorType = InvalidSpecErrorType | SpecTooLargeErrorType;

/**
 * Parses and validates spec bytes, as a provider agent reads them from a JobPosted event.
 * The bytes must be the canonical encoding ({@link encodeSpec}'s output): UTF-8 canonical JSON
 * with every default filled in, at most 16,384 bytes. Anything else is refused, so one spec has
 * one hash.
 *
 * @example
 * const spec = decodeSpec(log.args.spec); // hex from the event, or bytes
 * if (spec.engine.type === "docker") console.log(spec.engine.image);
 */
export function decodeSpec(bytes: DecodeSpecParameters): DecodeSpecReturnType {
  const data = typeof bytes === "string" ? toBytes(bytes) : bytes;
  if (data.length > MAX_SPEC_SIZE) throw new SpecTooLargeError({ size: data.length, maxSize: MAX_SPEC_SIZE });
  if (data.length === 0) throw invalid("must not be empty");

  let json: string;
  try {
    json = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(data);
  } catch (error) {
    throw invalid("must be UTF-8", error);
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw invalid(`must be JSON (${(error as Error).message})`, error);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalid("must be a JSON object");

  const spec = buildSpec(value as Parameters<typeof buildSpec>[0]);
  if (toCanonicalJson(spec) !== json)
    throw invalid("must be in canonical encoding (sorted keys, no whitespace, defaults filled in): encode it with encodeSpec");
  return spec;
}

function toBytes(hex: Hex): Uint8Array {
  if (!isHex(hex, { strict: true }) || hex.length % 2 !== 0) throw invalid("must be bytes or 0x-prefixed hex");
  return hexToBytes(hex);
}

function invalid(rule: string, cause?: unknown): InvalidSpecError {
  return new InvalidSpecError({ issues: [{ path: "spec", rule }], cause });
}
