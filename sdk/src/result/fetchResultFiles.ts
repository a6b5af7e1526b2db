import type { UnixFSDirectory } from "ipfs-unixfs-exporter";
import { varint } from "multiformats";
import { CID } from "multiformats/cid";

import {
  type BlockVerificationErrorType,
  InvalidCarError,
  type InvalidCarErrorType,
  type InvalidEntryNameErrorType,
  type InvalidResultCidErrorType,
  type MissingBlockErrorType,
  type ResultRootMismatchErrorType,
  ResultTooLargeError,
  type ResultTooLargeErrorType,
  UnsupportedEntryError,
  type UnsupportedEntryErrorType,
} from "../errors/result.js";
import { MemoryBlockstore } from "./blockstore.js";
import { concatBytes } from "./bytes.js";
import { checkName, load, rethrowAsCarError, toCid } from "./entries.js";
import { CarStreamVerifier } from "./verifyCarStream.js";

/** Default cap on a result read into memory: 64 MiB of file data. */
export const DEFAULT_MAX_MEMORY_RESULT_BYTES = 64n * 1024n * 1024n;

/** One file of a result: its path below the result root (`a/b.txt`) and its bytes. */
export type ResultFile = { path: string; bytes: Uint8Array };

export type FetchResultFilesParameters = {
  /** `<gateway>/ipfs/<cid>?format=car`. */
  url: string;
  /** The result CID the CAR must hold (the one settled on chain). */
  expectedCid: CID | string;
  /** Refuse results holding more file bytes than this (default 64 MiB: the files are kept in memory). */
  maxBytes?: bigint | number | undefined;
  fetch?: typeof globalThis.fetch | undefined;
  signal?: AbortSignal | undefined;
  /** Called as verified CAR bytes arrive: `total` once the gateway told it. */
  onProgress?: ((progress: { bytes: number; total: number | undefined }) => void) | undefined;
};

export type FetchResultFilesReturnType = {
  cid: CID;
  /** CAR bytes received and verified. */
  carSize: number;
  /** Every file of the result tree, in directory order (sorted names), directories walked depth first. */
  files: ResultFile[];
  /** File bytes in all. */
  size: bigint;
};

export type FetchResultFilesErrorType =
  | InvalidResultCidErrorType
  | InvalidCarErrorType
  | BlockVerificationErrorType
  | MissingBlockErrorType
  | ResultRootMismatchErrorType
  | InvalidEntryNameErrorType
  | UnsupportedEntryErrorType
  | ResultTooLargeErrorType;

/**
 * Downloads one result CAR from a gateway and returns its files, in memory, for browsers (no
 * `node:` module): every block is checked against its CID as it arrives, in the order the DAG
 * walk expects, the root against `expectedCid`, so only verified bytes are kept and a wrong or
 * tampered byte throws at once. For results on disk, resumable, use `fetchResult` from
 * `@shoal/sdk/node`.
 *
 * @example
 * const { files } = await fetchResultFiles({ url: `${gateway}/ipfs/${cid}?format=car`, expectedCid: cid });
 * console.log(new TextDecoder().decode(files[0].bytes));
 */
export async function fetchResultFiles(parameters: FetchResultFilesParameters): Promise<FetchResultFilesReturnType> {
  const expected = toCid(parameters.expectedCid);
  const maxBytes = parameters.maxBytes === undefined ? DEFAULT_MAX_MEMORY_RESULT_BYTES : BigInt(parameters.maxBytes);
  const verifier = await CarStreamVerifier.create(expected, { maxBytes });
  const response = await (parameters.fetch ?? globalThis.fetch)(parameters.url, {
    headers: { accept: "application/vnd.ipld.car" },
    ...(parameters.signal ? { signal: parameters.signal } : {}),
  });
  if (response.status !== 200 || response.body === null) {
    await response.body?.cancel();
    throw new Error(`HTTP ${response.status}`);
  }
  const length = response.headers.get("content-length");
  const total = length === null ? undefined : Number(length);
  const store = new MemoryBlockstore();
  let headerSeen = false;
  const reader = response.body.getReader();
  parameters.onProgress?.({ bytes: 0, total });
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (const section of await verifier.push(value)) {
      if (!headerSeen) {
        headerSeen = true; // the first verified section is the header
        continue;
      }
      const [, prefix] = varint.decode(section);
      const [cid, bytes] = CID.decodeFirst(section.subarray(prefix));
      await store.put(cid, bytes);
    }
    parameters.onProgress?.({ bytes: verifier.verifiedBytes, total });
  }
  verifier.finish();

  const files: ResultFile[] = [];
  const stats = { size: 0n };
  const root = await load(expected, store);
  if (root.type !== "directory") throw new InvalidCarError({ reason: "the result root is not a directory" });
  await readDirectory(root, "", store, files, stats, maxBytes);
  return { cid: expected, carSize: verifier.verifiedBytes, files, size: stats.size };
}

async function readDirectory(
  directory: UnixFSDirectory,
  relative: string,
  store: MemoryBlockstore,
  files: ResultFile[],
  stats: { size: bigint },
  maxBytes: bigint,
): Promise<void> {
  const children: { name: string; cid: CID }[] = [];
  await rethrowAsCarError(async () => {
    for await (const child of directory.entries()) children.push({ name: child.name, cid: child.cid });
  }, `directory ${relative || "/"} cannot be read`);
  for (const child of children) {
    const path = relative ? `${relative}/${child.name}` : child.name;
    checkName(child.name, path);
    const entry = await load(child.cid, store);
    if (entry.type === "directory") await readDirectory(entry, path, store, files, stats, maxBytes);
    else if (entry.type === "raw" || (entry.type === "file" && ["file", "raw"].includes(entry.unixfs.type))) {
      const chunks: Uint8Array[] = [];
      await rethrowAsCarError(async () => {
        for await (const chunk of entry.content()) {
          stats.size += BigInt(chunk.length);
          if (stats.size > maxBytes) throw new ResultTooLargeError({ size: stats.size, maxBytes, path });
          chunks.push(chunk);
        }
      }, `file ${path} cannot be read`);
      files.push({ path, bytes: concatBytes(chunks) });
    } else {
      const kind = entry.type === "file" && entry.unixfs.type === "symlink" ? "symlink" : "unknown";
      throw new UnsupportedEntryError({ path, kind });
    }
  }
}
