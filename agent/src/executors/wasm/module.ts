import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { importBytes, type ImporterOptions } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";

import { ExecutionError } from "../types.js";

export const COMPONENT = "executor/wasm";
/** A WebAssembly page. */
export const PAGE_BYTES = 65_536;

/**
 * Checks that `bytes` are the module `cid` names. A raw CID (`bafkrei…`) is the sha2-256 of the
 * bytes. A dag-pb CID is a UnixFS file whose DAG shape depends on how it was imported; the bytes
 * are re-imported with the common profiles (Kubo CIDv0, Kubo/Helia CIDv1, IPIP-499) and one must
 * give the CID. Anything else fails with MODULE_UNAVAILABLE.
 */
export async function verifyModuleCid(bytes: Uint8Array, cid: string): Promise<void> {
  let expected: CID;
  try {
    expected = CID.parse(cid);
  } catch (cause) {
    throw new ExecutionError("MODULE_UNAVAILABLE", COMPONENT, `the module CID ${cid} does not parse`, { cause });
  }
  const fail = (detail: string): never => {
    throw new ExecutionError("MODULE_UNAVAILABLE", COMPONENT, `the module bytes do not match ${cid}: ${detail}`, {
      hint: "the module source served other bytes than the spec names; fetch it again or from another source",
    });
  };
  if (expected.multihash.code !== sha256.code) fail("only sha2-256 module CIDs are accepted");
  if (expected.code === raw.code) {
    const digest = await sha256.digest(bytes);
    if (!equalBytes(digest.digest, expected.multihash.digest)) fail(`their sha2-256 is ${CID.createV1(raw.code, digest).toString()}`);
    return;
  }
  if (expected.code !== 0x70) fail("the CID is neither raw nor dag-pb");
  for (const options of unixfsProfiles()) {
    const { cid: actual } = await importBytes(bytes, discard, options);
    if (actual.code === expected.code && equalBytes(actual.multihash.bytes, expected.multihash.bytes)) return;
  }
  fail("no common UnixFS import profile gives that dag-pb CID; name the module by its raw CID (bafkrei…)");
}

const discard = { put: async (cid: CID) => cid };

function unixfsProfiles(): Partial<ImporterOptions>[] {
  const base = { reduceSingleLeafToSelf: true, wrapWithDirectory: false } as const;
  return [
    // Kubo's CIDv0 default: 256 KiB chunks in dag-pb leaves, 174 links per node.
    { ...base, cidVersion: 0, rawLeaves: false, leafType: "file", chunker: fixedSize({ chunkSize: 262_144 }), layout: balanced({ maxChildrenPerNode: 174 }) },
    // Kubo CIDv1 and Helia: 256 KiB raw leaves, 174 or 1024 links per node.
    { ...base, cidVersion: 1, rawLeaves: true, chunker: fixedSize({ chunkSize: 262_144 }), layout: balanced({ maxChildrenPerNode: 174 }) },
    { ...base, cidVersion: 1, rawLeaves: true, chunker: fixedSize({ chunkSize: 262_144 }), layout: balanced({ maxChildrenPerNode: 1_024 }) },
    // IPIP-499 unixfs-v1-2025 (the result CID profile): 1 MiB raw leaves, 1024 links.
    { ...base, cidVersion: 1, rawLeaves: true, chunker: fixedSize({ chunkSize: 1_048_576 }), layout: balanced({ maxChildrenPerNode: 1_024 }) },
  ];
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** A module ready to run: memories capped, imports listed. */
export type PreparedModule = {
  bytes: Uint8Array;
  /** Declared memories (initial pages, declared maximum or undefined) before capping. */
  memories: { initial: number; maximum: number | undefined }[];
};

/**
 * Caps every memory the module defines at `maxPages`: a declared maximum above it (or none, which
 * means 4 GiB) is lowered to it, so `memory.grow` past the job's memory limit fails inside the
 * module instead of taking host memory. A memory whose initial size is already above the limit
 * fails with MEMORY_LIMIT. Imported memories never reach this point (the worker provides none);
 * 64-bit memories and unknown limit flags are refused (INVALID_SPEC).
 *
 * Only the header and the memory section are parsed; the rest is copied unchanged.
 */
export function capModuleMemory(bytes: Uint8Array, maxPages: number): PreparedModule {
  const invalid = (message: string): never => {
    throw new ExecutionError("INVALID_SPEC", COMPONENT, `the module is not a WebAssembly core module: ${message}`, {
      hint: "build a WASI preview1 command, e.g. clang --target=wasm32-wasi",
    });
  };
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (bytes.length < 8 || header.some((b, i) => bytes[i] !== b)) invalid("bad magic or version (a component or not WebAssembly)");

  let pos = 8;
  const leb = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= bytes.length) invalid("truncated LEB128");
      const byte = bytes[pos++];
      if (shift === 28 && byte > 0x0f) invalid("LEB128 above 32 bits");
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
      if (shift > 28) invalid("LEB128 too long");
    }
  };

  const memories: PreparedModule["memories"] = [];
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  let copiedUpTo = 8;
  while (pos < bytes.length) {
    const sectionStart = pos;
    const id = bytes[pos++];
    const size = leb();
    const payloadStart = pos;
    const end = payloadStart + size;
    if (end > bytes.length) invalid(`section ${id} runs past the end`);
    if (id === 5) {
      const count = leb();
      const entries: number[] = [...encodeLeb(count)];
      for (let i = 0; i < count; i++) {
        const flags = leb();
        if (flags & ~0x03) invalid(flags & 0x04 ? "64-bit memories are not supported" : `unknown memory limit flags 0x${flags.toString(16)}`);
        const initial = leb();
        const maximum = flags & 0x01 ? leb() : undefined;
        memories.push({ initial, maximum });
        if (initial > maxPages)
          throw new ExecutionError(
            "MEMORY_LIMIT",
            COMPONENT,
            `the module starts with ${initial * (PAGE_BYTES / 1024)} KiB of memory, above the job's limit of ${maxPages * (PAGE_BYTES / 1024)} KiB`,
            { hint: "raise resources.memoryMb or link the module with a smaller initial memory" },
          );
        const capped = Math.min(maximum ?? maxPages, maxPages);
        entries.push(flags | 0x01, ...encodeLeb(initial), ...encodeLeb(capped));
      }
      if (pos !== end) invalid("memory section size mismatch");
      const payload = Uint8Array.from(entries);
      parts.push(bytes.subarray(copiedUpTo, sectionStart), Uint8Array.of(5, ...encodeLeb(payload.length)), payload);
      copiedUpTo = end;
    }
    pos = end;
  }
  parts.push(bytes.subarray(copiedUpTo));
  return { bytes: concat(parts), memories };
}

function encodeLeb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
