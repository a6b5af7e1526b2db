import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";

/**
 * The raw sha2-256 CID (`bafkrei…`) of `bytes`: how a WASM module is named in a job spec
 * (`engine.module`), and what the agent checks the module's bytes against.
 *
 * @example
 * const module = await rawCid(await readFile("ml/modules/train.wasm")); // "bafkrei…"
 */
export async function rawCid(bytes: Uint8Array): Promise<string> {
  return CID.createV1(raw.code, await sha256.digest(bytes)).toString();
}
