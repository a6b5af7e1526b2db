import type { Spec } from "../spec/schema.js";
import { type PieceRef, type ToPieceRefErrorType, toPieceRef } from "./toPieceRef.js";

export type ToJobInputsParameters = Spec;

export type ToJobInputsReturnType = {
  /** One key per piece input, in spec order: the JobRequest's `inputs`. */
  inputs: PieceRef[];
  /** Whether any input requires locality: the JobRequest's `locality`. */
  locality: boolean;
};

export type ToJobInputsErrorType = ToPieceRefErrorType;

/**
 * Derives the JobRequest's `inputs` and `locality` from a built spec: the canonical key
 * `{ root, paddedSize }` of every piece input (v2 CIDs carry their size, v1 inputs carry `size`).
 * CID inputs have no on-chain key and are skipped.
 *
 * The contract's locality flag is per job: when any input requires locality, each claimant
 * proves it stores every piece listed here.
 *
 * @example
 * const spec = buildSpec({ ... });
 * const { inputs, locality } = toJobInputs(spec);
 * await market.write.submit([{ spec: toHex(encodeSpec(spec)), inputs, locality, ... }]);
 */
export function toJobInputs(spec: ToJobInputsParameters): ToJobInputsReturnType {
  const inputs: PieceRef[] = [];
  let locality = false;
  for (const input of spec.inputs) {
    if (input.piece === undefined) continue;
    inputs.push(toPieceRef({ piece: input.piece, paddedSize: input.size }));
    locality ||= input.locality;
  }
  return { inputs, locality };
}
