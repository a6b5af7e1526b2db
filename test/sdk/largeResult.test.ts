import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { CarWriter } from "@ipld/car/writer";
import { CID } from "multiformats/cid";

import {
  BlockVerificationError,
  InvalidCarError,
  ResultRootMismatchError,
  ResultTooLargeError,
  UnexpectedBlockError,
} from "../../sdk/src/errors/index.js";
import { MemoryBlockstore } from "../../sdk/src/result/blockstore.js";
import { importTree } from "../../sdk/src/result/importTree.js";
import { CarStreamVerifier } from "../../sdk/src/result/verifyCarStream.js";
import { computeResultCid, packResult, unpackResult } from "../../sdk/src/node.js";

const MiB = 1 << 20;

let base: string;
let counter = 0;
const fresh = (label = "d") => join(base, `${label}-${counter++}`);

/** The packer as it was before results were streamed: every block in memory, written by CarWriter. */
async function packInMemory(dir: string): Promise<{ cid: CID; car: Uint8Array }> {
  const store = new MemoryBlockstore();
  const { cid } = await importTree(dir, store);
  const { writer, out } = CarWriter.create([cid]);
  const chunks: Uint8Array[] = [];
  const read = (async () => {
    for await (const chunk of out) chunks.push(chunk);
  })();
  for (const block of store.walk(cid)) await writer.put(block);
  await writer.close();
  await read;
  return { cid, car: Buffer.concat(chunks) };
}

/** Writes `files` (path → bytes) and `dirs` under a fresh directory. */
async function tree(files: Record<string, Uint8Array>, dirs: string[] = []): Promise<string> {
  const root = fresh("tree");
  await mkdir(root, { recursive: true });
  for (const dir of dirs) await mkdir(join(root, dir), { recursive: true });
  for (const [path, bytes] of Object.entries(files)) {
    await mkdir(join(root, path, ".."), { recursive: true });
    await writeFile(join(root, path), bytes);
  }
  return root;
}

/** A CAR in pieces of random sizes (1 byte to 200 KiB), as a network delivers it. */
function* pieces(car: Uint8Array): Generator<Uint8Array> {
  for (let at = 0; at < car.length; ) {
    const size = 1 + Math.floor(Math.random() ** 3 * 200_000);
    yield car.subarray(at, at + size);
    at += size;
  }
}

/** Offsets of each block section of a CAR (after the header), by walking its length varints. */
function sections(car: Uint8Array): { start: number; end: number }[] {
  const readVarint = (at: number): [number, number] => {
    let value = 0;
    let shift = 0;
    for (let i = at; ; i++) {
      value += (car[i] & 0x7f) * 2 ** shift;
      shift += 7;
      if ((car[i] & 0x80) === 0) return [value, i + 1 - at];
    }
  };
  const [headerLength, headerPrefix] = readVarint(0);
  const out: { start: number; end: number }[] = [];
  for (let at = headerPrefix + headerLength; at < car.length; ) {
    const [length, prefix] = readVarint(at);
    out.push({ start: at, end: at + prefix + length });
    at += prefix + length;
  }
  return out;
}

describe("results larger than memory", () => {
  before(async () => {
    base = await mkdtemp(join(tmpdir(), "shoal-large-result-"));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  describe("packResult to a file (spilled, streamed)", () => {
    const chunk = randomBytes(MiB);
    const trees: Record<string, () => Promise<string>> = {
      "an empty directory": () => tree({}),
      "empty files and empty directories": () => tree({ "a/empty": new Uint8Array(0), "b": new Uint8Array(0) }, ["c/d", "e"]),
      "many small files in nested directories": () =>
        tree(Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`d${i % 7}/s${i % 3}/f${i}.txt`, randomBytes(i * 13)]))),
      "multi-chunk files, one exactly 1 MiB and duplicated chunks": () =>
        tree({
          "big.bin": randomBytes(3 * MiB + 12_345),
          "exact.bin": chunk,
          "twice/a.bin": Buffer.concat([chunk, chunk, chunk.subarray(0, 10)]),
          "twice/b.bin": Buffer.concat([chunk, chunk, chunk.subarray(0, 10)]),
        }),
      "a directory large enough to become a HAMT shard": () =>
        tree(Object.fromEntries(Array.from({ length: 4_500 }, (_, i) => [`wide/entry-with-a-longish-name-${i}`, new Uint8Array([i & 0xff])]))),
    };
    for (const [label, make] of Object.entries(trees)) {
      it(`gives the CID and the CAR bytes of the in-memory packer for ${label}`, async () => {
        const dir = await make();
        const old = await packInMemory(dir);
        const out = join(fresh("car"), "result.car");
        await mkdir(join(out, ".."), { recursive: true });
        const packed = await packResult(dir, out);
        assert.equal(packed.cid.toString(), old.cid.toString());
        assert.equal((await computeResultCid(dir)).toString(), old.cid.toString());
        const car = await readFile(out);
        assert.equal(packed.size, car.length);
        assert.ok(Buffer.from(old.car).equals(car), "CAR bytes differ");
        assert.ok(Buffer.from((await packResult(dir)).carBytes).equals(car), "in-memory CAR differs");
        await assert.rejects(stat(`${out}.blocks`), /ENOENT/); // the spill file is gone
        await assert.rejects(stat(`${out}.partial`), /ENOENT/);
      });
    }

    it("leaves no spill or partial file when the tree is refused", async () => {
      const dir = await tree({ "a.bin": randomBytes(5000) });
      const out = join(fresh("car"), "result.car");
      await mkdir(join(out, ".."), { recursive: true });
      await assert.rejects(packResult(dir, out, { maxBytes: 1000 }), ResultTooLargeError);
      for (const path of [out, `${out}.blocks`, `${out}.partial`]) await assert.rejects(stat(path), /ENOENT/);
    });
  });

  describe("CarStreamVerifier", () => {
    let dir: string;
    let cid: CID;
    let car: Uint8Array;
    before(async () => {
      dir = await tree({ "big.bin": randomBytes(5 * MiB + 7), "small/a.txt": new TextEncoder().encode("a\n"), "small/b": randomBytes(900) });
      ({ cid, carBytes: car } = await packResult(dir));
    });

    it("passes a result CAR fed in pieces of any size, returning exactly its bytes, verified", async () => {
      const verifier = await CarStreamVerifier.create(cid);
      const verified: Uint8Array[] = [];
      for (const piece of pieces(car)) verified.push(...(await verifier.push(piece)));
      verifier.finish();
      assert.ok(verifier.complete);
      assert.ok(Buffer.concat(verified).equals(car));
    });

    it("refuses a corrupt block mid-stream, having released only the blocks before it", async () => {
      const blocks = sections(car);
      const victim = blocks[Math.floor(blocks.length / 2)];
      const bad = Buffer.from(car);
      bad[victim.end - 100] ^= 0x01;
      const verifier = await CarStreamVerifier.create(cid);
      const verified: Uint8Array[] = [];
      await assert.rejects(
        (async () => {
          for (const piece of pieces(bad)) verified.push(...(await verifier.push(piece)));
        })(),
        BlockVerificationError,
      );
      assert.equal(verifier.verifiedBytes, victim.start);
      assert.ok(Buffer.concat(verified).equals(car.subarray(0, victim.start)));
    });

    it("refuses blocks out of DFS order, another root, a block over the size limit, and bytes after the end", async () => {
      const blocks = sections(car);
      const [a, b] = [blocks[2], blocks[3]];
      const swapped = Buffer.concat([car.subarray(0, a.start), car.subarray(b.start, b.end), car.subarray(a.start, a.end), car.subarray(b.end)]);
      const feed = async (bytes: Uint8Array, expected = cid) => {
        const verifier = await CarStreamVerifier.create(expected);
        for (const piece of pieces(bytes)) await verifier.push(piece);
        verifier.finish();
      };
      await assert.rejects(feed(swapped), UnexpectedBlockError);
      const other = await packResult(await tree({ "x": new Uint8Array([1]) }));
      await assert.rejects(feed(car, other.cid), ResultRootMismatchError);
      const header = car.subarray(0, blocks[0].start);
      const huge = Buffer.concat([header, Buffer.from([0x80, 0x80, 0x80, 0x10])]); // a 32 MiB section
      await assert.rejects(feed(huge), (error: unknown) => error instanceof InvalidCarError && /exceeds/.test(error.message));
      await assert.rejects(feed(Buffer.concat([car, car.subarray(blocks[1].start, blocks[1].end)])), InvalidCarError);
      await assert.rejects(feed(car.subarray(0, car.length - 1)), /missing block/);
    });

    it("caps the file bytes a CAR may carry (maxBytes)", async () => {
      const verifier = await CarStreamVerifier.create(cid, { maxBytes: 2n * BigInt(MiB) });
      await assert.rejects(
        (async () => {
          for (const piece of pieces(car)) await verifier.push(piece);
        })(),
        ResultTooLargeError,
      );
    });
  });

  describe("unpackResult from a CAR file", () => {
    it("unpacks a multi-chunk result in place and refuses a corrupt leaf when it reads it", async () => {
      const dir = await tree({ "big.bin": randomBytes(4 * MiB + 3), "dir/small.txt": new TextEncoder().encode("hello\n") });
      const out = join(fresh("car"), "r.car");
      await mkdir(join(out, ".."), { recursive: true });
      const { cid } = await packResult(dir, out);
      const dest = fresh("unpacked");
      const unpacked = await unpackResult(out, dest, { expectedCid: cid });
      assert.equal(unpacked.files, 2);
      assert.equal((await computeResultCid(dest)).toString(), cid.toString());
      assert.ok((await readFile(join(dest, "big.bin"))).equals(await readFile(join(dir, "big.bin"))));

      const bytes = await readFile(out);
      const blocks = sections(bytes);
      bytes[blocks[blocks.length - 2].end - 5] ^= 0x01; // inside a 1 MiB leaf of big.bin
      await writeFile(out, bytes);
      const failed = fresh("unpacked");
      await assert.rejects(unpackResult(out, failed, { expectedCid: cid }), BlockVerificationError);
      await assert.rejects(stat(failed), /ENOENT/); // nothing left behind
    });
  });
});
