import { bytesToHex, type Hex } from "viem";
import { InvalidSpecTemplateError } from "../errors/federated.js";
import { buildSpec } from "../spec/buildSpec.js";
import { toCanonicalJson } from "../spec/canonical.js";
import { MAX_SPEC_SIZE } from "../spec/constants.js";
import type { SpecInput } from "../spec/schema.js";

/** Placeholder job IDs are 2^255 + i: valid job IDs no market reaches, unlikely in any other field. */
const HOLE_BASE = 2n ** 255n;

/**
 * The placeholder job ID for a template's `index`-th input job (0-based), to write as a job
 * input's `job`: `{ job: templateHole(0), mount: "/inputs/model" }`. {@link specTemplate} cuts the
 * encoded spec there, and the coordinator contract writes the real job ID in its place.
 */
export function templateHole(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > 255) throw new InvalidSpecTemplateError({ reason: `hole index ${index} must be an integer 0..255` });
  return (HOLE_BASE + BigInt(index)).toString();
}

/**
 * Cuts a spec's canonical bytes at its `holes` placeholder job IDs ({@link templateHole}), in
 * order: `parts[0] ‖ id₀ ‖ parts[1] ‖ … ‖ parts[holes]`. Filling the holes with decimal job IDs
 * gives the canonical encoding of the same spec with those job inputs, which is what a contract
 * posts (see contracts/ml/FederatedAveraging.sol). The spec is validated here; the filled spec
 * must stay under the 16,384-byte cap with real IDs (they are shorter than the placeholders).
 *
 * @example
 * const parts = specTemplate({ ...evaluateSpec, inputs: [{ job: templateHole(0), mount: "/inputs/model" }, testShard] }, 1);
 */
export function specTemplate(spec: SpecInput, holes: number): Hex[] {
  const json = toCanonicalJson(buildSpec(spec));
  const parts: string[] = [];
  let from = 0;
  for (let i = 0; i < holes; i++) {
    const marker = `"job":"${templateHole(i)}"`;
    const at = json.indexOf(marker, from);
    if (at < 0) {
      const anywhere = json.includes(marker);
      throw new InvalidSpecTemplateError({ reason: anywhere ? `hole ${i} comes before hole ${i - 1}` : `hole ${i} (templateHole(${i})) is not a job input of the spec` });
    }
    if (json.indexOf(marker, at + 1) >= 0) throw new InvalidSpecTemplateError({ reason: `hole ${i} appears twice` });
    const digits = at + `"job":"`.length;
    parts.push(json.slice(from, digits));
    from = digits + templateHole(i).length;
  }
  parts.push(json.slice(from));
  if (json.includes(templateHole(holes))) throw new InvalidSpecTemplateError({ reason: `the spec has more holes than ${holes}` });
  const encoder = new TextEncoder();
  const bytes = parts.map((part) => encoder.encode(part));
  const size = bytes.reduce((sum, b) => sum + b.length, 0) + holes * 78;
  if (size > MAX_SPEC_SIZE) throw new InvalidSpecTemplateError({ reason: `filled with the longest job IDs it would be ${size} bytes, over the ${MAX_SPEC_SIZE}-byte cap` });
  return bytes.map((b) => bytesToHex(b));
}

/** Fills a template's holes with job IDs: what the contract does, for checking and display. */
export function fillTemplate(parts: readonly Hex[], jobIds: readonly bigint[]): string {
  if (parts.length !== jobIds.length + 1) throw new InvalidSpecTemplateError({ reason: `${parts.length} parts need ${parts.length - 1} job IDs, got ${jobIds.length}` });
  const decoder = new TextDecoder();
  const hexToText = (hex: Hex) => decoder.decode(Uint8Array.from((hex.slice(2).match(/../g) ?? []).map((b) => Number.parseInt(b, 16))));
  return parts.map((part, i) => hexToText(part) + (i < jobIds.length ? jobIds[i]!.toString() : "")).join("");
}
