import { CID } from "multiformats/cid";
import { bytesToHex, type Hex, hexToBytes } from "viem";

import { InvalidResultCidError, type InvalidResultCidErrorType } from "../errors/result.js";
import { checkResultCid, RESULT_CID_CODECS, resultCidString } from "./resultCidString.js";

export { RESULT_CID_CODECS };

export type ResultCidBytesParameters = CID | string;

export type ResultCidBytesReturnType = Hex;

export type ResultCidBytesErrorType = InvalidResultCidErrorType;

/**
 * The binary form of a result CID, as the JobMarket's `reveal` takes it and the commitment
 * digest hashes it: 36 bytes, `0x01 <codec> 0x12 0x20 <sha2-256 digest>`. Only CIDv1 with a
 * sha2-256 multihash and codec raw (0x55), dag-pb (0x70) or dag-cbor (0x71) qualify.
 *
 * @example
 * const cid = await computeResultCid("./outputs");
 * const bytes = resultCidBytes(cid); // "0x01701220…"
 * const { hash, seal } = computeCommitment({ jobId, provider, resultCid: bytes });
 */
export function resultCidBytes(cid: ResultCidBytesParameters): ResultCidBytesReturnType {
  const parsed = typeof cid === "string" ? parse(cid) : cid;
  check(parsed, String(cid));
  return bytesToHex(parsed.bytes);
}

export type ResultCidFromBytesParameters = Hex | Uint8Array;

export type ResultCidFromBytesReturnType = CID;

export type ResultCidFromBytesErrorType = InvalidResultCidErrorType;

/**
 * Reads a binary result CID (as the JobMarket returns it) back into a CID.
 *
 * @example
 * const cid = resultCidFromBytes(job.resultCid);
 * cid.toString(); // "bafybei…"
 */
export function resultCidFromBytes(bytes: ResultCidFromBytesParameters): ResultCidFromBytesReturnType {
  resultCidString(bytes); // the same checks and errors, without the CID class
  return CID.decode(typeof bytes === "string" ? hexToBytes(bytes) : bytes);
}

function parse(source: string): CID {
  try {
    return CID.parse(source);
  } catch (error) {
    throw new InvalidResultCidError({ cid: source, reason: "not a CID", cause: error });
  }
}

function check(cid: CID, label: string): void {
  checkResultCid({ version: cid.version, code: cid.code, multihashCode: cid.multihash.code, digest: cid.multihash.digest }, label);
}
