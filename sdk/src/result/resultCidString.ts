import { bytesToHex, type Hex, hexToBytes, isHex } from "viem";

import { InvalidResultCidError } from "../errors/result.js";
import { decodeCid, toV1String } from "../internal/cid.js";

/** Codecs the JobMarket accepts for a result: raw, dag-pb, dag-cbor. */
export const RESULT_CID_CODECS = [0x55, 0x70, 0x71] as const;

const SHA2_256 = 0x12;

/**
 * Checks a binary result CID (as the JobMarket returns it) and gives it as a base32 string,
 * without multiformats' CID class: getJob's path in a browser bundle. resultCidFromBytes is the
 * public form, which returns a CID.
 */
export function resultCidString(bytes: Hex | Uint8Array): string {
  const label = typeof bytes === "string" ? bytes : bytesToHex(bytes);
  if (typeof bytes === "string" && (!isHex(bytes, { strict: true }) || bytes.length % 2 !== 0))
    throw new InvalidResultCidError({ cid: label, reason: "not 0x-prefixed hex" });
  let cid: ReturnType<typeof decodeCid>;
  try {
    cid = decodeCid(typeof bytes === "string" ? hexToBytes(bytes) : bytes);
  } catch (error) {
    throw new InvalidResultCidError({ cid: label, reason: "not a binary CID", cause: error });
  }
  checkResultCid(cid, label);
  return toV1String(cid);
}

/** Throws InvalidResultCidError unless `cid` is a CIDv1 with a sha2-256 multihash and codec raw, dag-pb or dag-cbor. */
export function checkResultCid(
  cid: { version: number; code: number; multihashCode: number; digest: Uint8Array },
  label: string,
): void {
  const fail = (reason: string) => {
    throw new InvalidResultCidError({ cid: label, reason });
  };
  if (cid.version !== 1) fail("it is a CIDv0; results are CIDv1");
  if (cid.multihashCode !== SHA2_256 || cid.digest.length !== 32) fail("its multihash is not sha2-256");
  if (!(RESULT_CID_CODECS as readonly number[]).includes(cid.code))
    fail(`codec 0x${cid.code.toString(16)} is not raw, dag-pb or dag-cbor`);
}
