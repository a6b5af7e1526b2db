import { equals } from "multiformats/bytes";
import type { CID } from "multiformats/cid";
import { sha256, sha512 } from "multiformats/hashes/sha2";
import type { MultihashHasher } from "multiformats/hashes/interface";

import { BlockVerificationError } from "../errors/result.js";

/** Hash functions a result block may use. Anything else cannot be verified and is refused. */
const HASHERS = new Map<number, MultihashHasher>([
  [sha256.code, sha256],
  [sha512.code, sha512],
]);

/** Codecs of UnixFS blocks: raw leaves and dag-pb nodes. */
const CODECS = new Set([0x55, 0x70]);

/**
 * Checks that `bytes` are the block `cid` names: a UnixFS codec, a known hash function, and a
 * digest of exactly these bytes. Throws BlockVerificationError otherwise.
 */
export async function verifyBlock(cid: CID, bytes: Uint8Array): Promise<void> {
  const fail = (reason: string): never => {
    throw new BlockVerificationError({ cid: cid.toString(), reason });
  };
  const hasher = HASHERS.get(cid.multihash.code);
  if (hasher === undefined) fail(`unsupported hash function 0x${cid.multihash.code.toString(16)}`);
  if (!CODECS.has(cid.code)) fail(`unsupported codec 0x${cid.code.toString(16)} (results hold raw and dag-pb blocks)`);
  const digest = await (hasher as MultihashHasher).digest(bytes);
  if (!equals(digest.bytes, cid.multihash.bytes)) fail("its bytes do not hash to its CID");
}
