import { CID } from "multiformats/cid";
import { bytesToHex, type Hex, hexToBytes, isHex } from "viem";

import { InvalidResultCidError, type InvalidResultCidErrorType } from "../errors/result.js";

/** Codecs the JobMarket accepts for a result: raw, dag-pb, dag-cbor. */
export const RESULT_CID_CODECS = [0x55, 0x70, 0x71] as const;

const SHA2_256 = 0x12;

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
  const label = typeof bytes === "string" ? bytes : bytesToHex(bytes);
  if (typeof bytes === "string" && (!isHex(bytes, { strict: true }) || bytes.length % 2 !== 0))
    throw new InvalidResultCidError({ cid: label, reason: "not 0x-prefixed hex" });
  let cid: CID;
  try {
    cid = CID.decode(typeof bytes === "string" ? hexToBytes(bytes) : bytes);
  } catch (error) {
    throw new InvalidResultCidError({ cid: label, reason: "not a binary CID", cause: error });
  }
  check(cid, label);
  return cid;
}

function parse(source: string): CID {
  try {
    return CID.parse(source);
  } catch (error) {
    throw new InvalidResultCidError({ cid: source, reason: "not a CID", cause: error });
  }
}

function check(cid: CID, label: string): void {
  const fail = (reason: string) => {
    throw new InvalidResultCidError({ cid: label, reason });
  };
  if (cid.version !== 1) fail("it is a CIDv0; results are CIDv1");
  if (cid.multihash.code !== SHA2_256 || cid.multihash.digest.length !== 32) fail("its multihash is not sha2-256");
  if (!(RESULT_CID_CODECS as readonly number[]).includes(cid.code))
    fail(`codec 0x${cid.code.toString(16)} is not raw, dag-pb or dag-cbor`);
}
