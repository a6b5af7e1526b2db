import * as dagPb from "@ipld/dag-pb";
import { CarBlockIterator } from "@ipld/car/iterator";
import { varint } from "multiformats";
import { equals } from "multiformats/bytes";
import { CID } from "multiformats/cid";

import { ShoalError } from "../errors/base.js";
import { InvalidCarError, MissingBlockError, ResultRootMismatchError, ResultTooLargeError, UnexpectedBlockError } from "../errors/result.js";
import { blockKey } from "./blockstore.js";
import { concatBytes } from "./bytes.js";
import { carHeader, MAX_RESULT_BLOCK_BYTES } from "./carHeader.js";
import { verifyBlock } from "./verifyBlock.js";

/** A header longer than this cannot be a one-root CARv1 header. */
const MAX_HEADER_BYTES = 1024;

/**
 * Checks a result CAR as its bytes arrive, in any pieces: the header must name exactly the
 * expected root, and each block must be the next one of the DAG's depth-first walk (links in
 * node order, each block once: how packResult writes CARs) and hash to its CID. `push` returns
 * the CAR bytes that are now verified (whole blocks), so a caller can write exactly those to disk
 * and never keep unverified bytes; the rest (at most one incomplete block, at most
 * MAX_RESULT_BLOCK_BYTES) waits for more input. Memory: one block plus the CIDs still to visit.
 */
export class CarStreamVerifier {
  readonly #expected: CID;
  readonly #header: Uint8Array;
  readonly #maxBytes: bigint | undefined;
  readonly #pending: Uint8Array[] = [];
  #pendingLength = 0;
  #headerDone = false;
  readonly #stack: CID[];
  readonly #seen = new Set<string>();
  #verified = 0;
  #leafBytes = 0n;

  private constructor(expected: CID, header: Uint8Array, maxBytes: bigint | undefined) {
    this.#expected = expected;
    this.#header = header;
    this.#maxBytes = maxBytes;
    this.#stack = [expected];
  }

  /** A verifier for the CAR of result `expected`; `maxBytes` caps the raw leaf bytes (file data). */
  static async create(expected: CID, options: { maxBytes?: bigint | undefined } = {}): Promise<CarStreamVerifier> {
    return new CarStreamVerifier(expected, await carHeader(expected), options.maxBytes);
  }

  /** CAR bytes verified so far (a prefix of the CAR ending at a block boundary). */
  get verifiedBytes(): number {
    return this.#verified;
  }

  /** Whether every block of the DAG has arrived and verified. */
  get complete(): boolean {
    return this.#headerDone && this.#nextExpected() === undefined;
  }

  /** Takes the next bytes of the CAR; returns the pieces of it that are now verified, in order. */
  async push(chunk: Uint8Array): Promise<Uint8Array[]> {
    if (chunk.length > 0) {
      this.#pending.push(chunk);
      this.#pendingLength += chunk.length;
    }
    const verified: Uint8Array[] = [];
    for (;;) {
      const section = this.#headerDone ? await this.#nextBlock() : await this.#nextHeader();
      if (section === undefined) return verified;
      this.#verified += section.length;
      verified.push(section);
    }
  }

  /** Forgets received bytes not yet verified (an incomplete block), to take them again from a resumed stream. */
  dropUnverified(): void {
    this.#pending.length = 0;
    this.#pendingLength = 0;
  }

  /** Call at the end of the input: throws unless the CAR was complete, with nothing after it. */
  finish(): void {
    if (this.#pendingLength > 0 && this.complete)
      throw new InvalidCarError({ reason: `${this.#pendingLength} bytes follow the last block of the result` });
    if (!this.complete) {
      const next = this.#nextExpected();
      throw new MissingBlockError({ cid: String(next ?? this.#expected) });
    }
  }

  async #nextHeader(): Promise<Uint8Array | undefined> {
    const length = this.#peekVarint();
    if (length === undefined) return undefined;
    const [size, prefix] = length;
    if (size > MAX_HEADER_BYTES) throw new InvalidCarError({ reason: `its header claims ${size} bytes` });
    if (this.#pendingLength < prefix + size) return undefined;
    const header = this.#take(prefix + size);
    if (!equals(header, this.#header)) throw await headerError(header, this.#expected);
    this.#headerDone = true;
    return header;
  }

  async #nextBlock(): Promise<Uint8Array | undefined> {
    const length = this.#peekVarint();
    if (length === undefined) return undefined;
    const [size, prefix] = length;
    // A CIDv1 sha2-256 is 36 bytes; allow a little more for other CIDs, then refuse before buffering.
    if (size > MAX_RESULT_BLOCK_BYTES + 128)
      throw new InvalidCarError({ reason: `a block of ${size} bytes exceeds the ${MAX_RESULT_BLOCK_BYTES}-byte limit` });
    const expected = this.#nextExpected();
    if (expected === undefined) throw new InvalidCarError({ reason: "blocks follow the last block of the result" });
    if (this.#pendingLength < prefix + size) return undefined;
    const section = this.#take(prefix + size);
    let cid: CID;
    let bytes: Uint8Array;
    try {
      [cid, bytes] = CID.decodeFirst(section.subarray(prefix));
    } catch (error) {
      throw new InvalidCarError({ reason: `block ${this.#seen.size + 1} has no readable CID`, cause: error });
    }
    if (!equals(cid.bytes, expected.bytes)) throw new UnexpectedBlockError({ expected: String(expected), actual: String(cid) });
    await verifyBlock(cid, bytes);
    this.#stack.pop();
    this.#seen.add(blockKey(cid));
    if (cid.code === dagPb.code) {
      let links: dagPb.PBLink[];
      try {
        links = dagPb.decode(bytes).Links;
      } catch (error) {
        throw new InvalidCarError({ reason: `block ${cid} is not dag-pb`, cause: error });
      }
      for (let i = links.length - 1; i >= 0; i--) this.#stack.push(links[i].Hash);
    } else {
      this.#leafBytes += BigInt(bytes.length);
      if (this.#maxBytes !== undefined && this.#leafBytes > this.#maxBytes)
        throw new ResultTooLargeError({ size: this.#leafBytes, maxBytes: this.#maxBytes });
    }
    return section;
  }

  /** The next block the walk expects (blocks already seen are skipped: a CAR holds each once). */
  #nextExpected(): CID | undefined {
    while (this.#stack.length > 0) {
      const top = this.#stack[this.#stack.length - 1];
      if (!this.#seen.has(blockKey(top))) return top;
      this.#stack.pop();
    }
    return undefined;
  }

  /** The varint at the head of the pending bytes and its length, or undefined if incomplete. */
  #peekVarint(): [number, number] | undefined {
    if (this.#pendingLength === 0) return undefined;
    const head = this.#peek(Math.min(this.#pendingLength, 9));
    const end = head.findIndex((byte) => (byte & 0x80) === 0);
    if (end === -1) {
      if (head.length === 9) throw new InvalidCarError({ reason: "a section length is not a varint" });
      return undefined;
    }
    return varint.decode(head);
  }

  #peek(n: number): Uint8Array {
    if (this.#pending[0].length < n) this.#coalesce();
    return this.#pending[0].subarray(0, n);
  }

  #take(n: number): Uint8Array {
    if (this.#pending[0].length < n) this.#coalesce();
    const first = this.#pending[0];
    const taken = first.subarray(0, n);
    if (first.length === n) this.#pending.shift();
    else this.#pending[0] = first.subarray(n);
    this.#pendingLength -= n;
    return taken;
  }

  #coalesce(): void {
    const all = concatBytes(this.#pending);
    this.#pending.length = 0;
    this.#pending.push(all);
  }
}

/** Why a header is not the expected one: another root, several roots, or not a CARv1 header. */
async function headerError(header: Uint8Array, expected: CID): Promise<ShoalError> {
  let roots: CID[];
  try {
    roots = await (await CarBlockIterator.fromBytes(header)).getRoots();
  } catch (error) {
    return new InvalidCarError({ reason: "it is not a readable CARv1", cause: error });
  }
  if (roots.length !== 1) return new InvalidCarError({ reason: `it has ${roots.length} roots; a result CAR has one` });
  if (!equals(roots[0].bytes, expected.bytes)) return new ResultRootMismatchError({ expected: String(expected), actual: String(roots[0]) });
  return new InvalidCarError({ reason: "its header is not the canonical CARv1 header of the result" });
}
