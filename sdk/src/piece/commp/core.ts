// The CommP core shared by createPieceHasher (one thread) and the SDK's Node workers: one
// WebAssembly instance hashes a segment (up to 8192 payload quads, 1 MiB of leaves) to its root;
// a RootStack merges segment roots in order. Internal: not exported from the package.
import { CID } from "multiformats/cid";
import { create as createDigest } from "multiformats/hashes/digest";
import { varint } from "multiformats";
import { bytesToHex } from "viem";

import type { PieceCidReturnType } from "../pieceCid.js";
import { FIL_COMMITMENT_UNSEALED, FR32_SHA256_TRUNC254_PADBINTREE, RAW_CODEC, SHA2_256_TRUNC254_PADDED } from "../constants.js";
import { COMMP_WASM_BASE64 } from "./wasm.js";

/** Payload bytes per Fr32 quad, and the leaf bytes they become. */
export const QUAD_PAYLOAD = 127;
export const QUAD_LEAVES = 128;
/** A segment: 8192 quads, 32768 leaves of 32 bytes, a subtree of height 15. */
export const SEGMENT_QUADS = 8192;
export const SEGMENT_PAYLOAD = QUAD_PAYLOAD * SEGMENT_QUADS;
export const SEGMENT_LEAF_BYTES = QUAD_LEAVES * SEGMENT_QUADS;
export const SEGMENT_HEIGHT = 15;

/** How the hashed bytes relate to the tree's leaves. */
export type PieceLayout = "payload" | "fr32";

/** The module's exports (sdk/assembly/commp.ts). */
type CommpExports = {
  memory: WebAssembly.Memory;
  inputOffset(): number;
  leafOffset(): number;
  pairOffset(): number;
  zeroOffset(level: number): number;
  segmentPayload(): number;
  payloadRoot(length: number): number;
  leafRoot(count: number): number;
  hashPair(): void;
};

let compiled: WebAssembly.Module | undefined;

/** The compiled module (compiled once per thread, synchronously: it is under 6 KB). */
export function commpModule(): WebAssembly.Module {
  if (!compiled) {
    const text = atob(COMMP_WASM_BASE64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    compiled = new WebAssembly.Module(bytes);
  }
  return compiled;
}

/** A subtree root and its height. */
export type Subtree = { root: Uint8Array; height: number };

/** One instance of the module: its own 2 MiB of memory. */
export class CommpCore {
  readonly memory: Uint8Array;
  /** Where a segment's payload (layout payload) or leaves (layout fr32) are written. */
  readonly input: number;
  readonly leaves: number;
  private readonly exports: CommpExports;
  private readonly pair: number;

  constructor(module: WebAssembly.Module = commpModule()) {
    this.exports = new WebAssembly.Instance(module, {}).exports as unknown as CommpExports;
    this.memory = new Uint8Array(this.exports.memory.buffer);
    this.input = this.exports.inputOffset();
    this.leaves = this.exports.leafOffset();
    this.pair = this.exports.pairOffset();
    if (this.exports.segmentPayload() !== SEGMENT_PAYLOAD) throw new Error("commp.wasm does not match core.ts");
  }

  /** Where `layout` bytes of a segment go. */
  target(layout: PieceLayout): number {
    return layout === "fr32" ? this.leaves : this.input;
  }

  /**
   * The root of the segment written at `target(layout)`: `length` payload bytes (zero-padded to
   * whole quads) or `length` bytes of leaves (a multiple of 32). Overwrites the leaf area.
   */
  segmentRoot(layout: PieceLayout, length: number): Subtree {
    const height = layout === "fr32" ? this.exports.leafRoot(length / 32) : this.exports.payloadRoot(length);
    return { root: this.memory.slice(this.leaves, this.leaves + 32), height };
  }

  /** The node over `left` and `right`. */
  node(left: Uint8Array, right: Uint8Array): Uint8Array {
    this.memory.set(left, this.pair);
    this.memory.set(right, this.pair + 32);
    this.exports.hashPair();
    return this.memory.slice(this.pair + 256, this.pair + 288);
  }

  /** The root of an all-zero subtree of `level`. */
  zero(level: number): Uint8Array {
    const at = this.exports.zeroOffset(level);
    return this.memory.subarray(at, at + 32);
  }
}

/**
 * Segment roots merged in order, in constant memory: at most one pending subtree root per level
 * (a binary counter). Full segments are pushed; the last, partial one is given to `finish`.
 */
export class RootStack {
  private readonly levels: (Uint8Array | undefined)[] = [];

  constructor(private readonly core: CommpCore) {}

  /** Adds the root of the next full segment (height SEGMENT_HEIGHT). */
  push(root: Uint8Array): void {
    let node = root;
    let level = SEGMENT_HEIGHT;
    for (let left = this.levels[level]; left; left = this.levels[level]) {
      node = this.core.node(left, node);
      this.levels[level] = undefined;
      level++;
    }
    this.levels[level] = node;
  }

  /**
   * The root of everything pushed followed by `last` (a subtree of at most one segment), over
   * `leaves` leaves in all, zero-padded to the next power of two. Leaves the stack as it was.
   */
  finish(last: Subtree | undefined, leaves: bigint): Subtree {
    let height = 0;
    while (1n << BigInt(height) < leaves) height++;
    let carry = last?.root;
    for (let level = last?.height ?? SEGMENT_HEIGHT; level < height; level++) {
      const left = this.levels[level];
      if (left) carry = this.core.node(left, carry ?? this.core.zero(level));
      else if (carry) carry = this.core.node(carry, this.core.zero(level));
    }
    const root = carry ?? this.levels[height];
    if (!root) throw new Error("RootStack: nothing pushed");
    return { root, height };
  }
}

/** Leaves of `bytes` in `layout`: whole quads of payload, or 32-byte leaves. */
export function leafCount(layout: PieceLayout, bytes: bigint): bigint {
  return layout === "fr32" ? bytes / 32n : ((bytes + 126n) / 127n) * 4n;
}

/** Payload bytes a piece of `paddedSize` holds (127/128 of it). */
export function capacityOf(paddedSize: bigint): bigint {
  return (paddedSize / 128n) * 127n;
}

/** Both piece CIDs, root, sizes and padding of a tree over `payloadSize` payload bytes. */
export function pieceCidOf({ root, height }: Subtree, payloadSize: bigint): PieceCidReturnType {
  const paddedSize = 32n << BigInt(height);
  const padding = capacityOf(paddedSize) - payloadSize;
  const v2digest = new Uint8Array(varint.encodingLength(Number(padding)) + 33);
  varint.encodeTo(Number(padding), v2digest, 0);
  v2digest[v2digest.length - 33] = height;
  v2digest.set(root, v2digest.length - 32);
  return {
    v1: CID.create(1, FIL_COMMITMENT_UNSEALED, createDigest(SHA2_256_TRUNC254_PADDED, root)).toString(),
    v2: CID.create(1, RAW_CODEC, createDigest(FR32_SHA256_TRUNC254_PADBINTREE, v2digest)).toString(),
    root: bytesToHex(root),
    paddedSize,
    height,
    padding,
  };
}
