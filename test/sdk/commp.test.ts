import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { appendFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { Fr32, Piece } from "@web3-storage/data-segment";
import fc from "fast-check";

import { InvalidFr32LengthError, PayloadTooSmallError } from "../../sdk/src/errors/index.js";
import { PieceFileChangedError, PieceFileUnreadableError, PieceHashAbortedError } from "../../sdk/src/errors/pieceFile.js";
import { createPieceHasher, pieceCid, type PieceCidReturnType } from "../../sdk/src/piece/index.js";
import { pieceCidOfFile } from "../../sdk/src/piece/pieceCidOfFile.js";
import { pieceCidOfStream } from "../../sdk/src/piece/pieceCidOfStream.js";
import { buildCommp, COMMP_EMBED, COMMP_WASM } from "../../scripts/build-commp.js";
import { runCli } from "../cli/harness.js";

// The fast CommP (sdk/assembly/commp.ts and its TypeScript around it) against the reference,
// @web3-storage/data-segment's Piece.fromPayload: every path (pieceCid, createPieceHasher with
// any chunking, pieceCidOfFile on 1 and 2 threads, pieceCidOfStream) gives the same CIDs.

const SEGMENT = 127 * 8192; // payload bytes per 1 MiB segment
const run = promisify(execFile);

/** data-segment's answer, in pieceCid's shape. */
function reference(payload: Uint8Array): PieceCidReturnType {
  const piece = Piece.fromPayload(payload);
  return {
    v1: piece.toInfo().link.toString(),
    v2: piece.toString(),
    root: `0x${Buffer.from(piece.root).toString("hex")}`,
    paddedSize: BigInt(piece.size),
    height: piece.height,
    padding: BigInt(piece.padding),
  };
}

/** A deterministic pseudo-random generator (xorshift32), for chunkings. */
function random(seed: number): () => number {
  let x = seed | 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** `bytes` cut at random places (sizes 0..max, max >= 1: empty chunks too), deterministic in `seed`. */
function* chunks(bytes: Uint8Array, seed: number, max: number): Generator<Uint8Array> {
  const next = random(seed);
  for (let at = 0; at < bytes.length; ) {
    const size = Math.floor(next() * (max + 1));
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

/** `size` pseudo-random bytes from `seed` (or zeros): the same every run. */
function payload(size: number, seed: number, zero = false): Uint8Array {
  const bytes = new Uint8Array(size);
  if (zero) return bytes;
  const next = random(seed + 0x9e3779b9);
  const words = new Uint32Array(bytes.buffer, 0, size >>> 2);
  for (let i = 0; i < words.length; i++) words[i] = next() * 2 ** 32;
  for (let i = words.length * 4; i < size; i++) bytes[i] = next() * 256;
  return bytes;
}

describe("CommP (fast core) against data-segment", function () {
  this.timeout(300_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "shoal-commp-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const sizes: { size: number; zero?: boolean }[] = [
    65, 66, 100, 126, 127, 128, 129, 253, 254, 255, 508, 1000,
    ...[3, 7, 10].flatMap((k) => [127 * 2 ** k - 1, 127 * 2 ** k, 127 * 2 ** k + 1]),
    2 ** 16, 2 ** 20, // exact powers of two
    SEGMENT - 1, SEGMENT, SEGMENT + 1, // around a segment boundary
    2 * SEGMENT + 1, 3 * SEGMENT - 5,
  ].map((size) => ({ size }));
  sizes.push({ size: 3000, zero: true }, { size: SEGMENT + 1, zero: true });

  for (const [i, { size, zero }] of sizes.entries()) {
    it(`${size}${zero ? " zero" : ""} bytes: pieceCid, createPieceHasher, file (on this thread, 1 and 2 workers) and stream all equal data-segment`, async function () {
      const bytes = payload(size, i, zero);
      const expected = reference(bytes);
      assert.deepEqual(pieceCid(bytes), expected);
      const hasher = createPieceHasher();
      for (const chunk of chunks(bytes, i + 1, 1 + (size >> 3))) hasher.write(chunk);
      assert.equal(hasher.bytesWritten, BigInt(size));
      assert.deepEqual(hasher.digest(), expected);
      const path = join(dir, `p${i}.bin`);
      await writeFile(path, bytes);
      for (const threads of [1, 2]) assert.deepEqual(await pieceCidOfFile(path, { threads }), { ...expected, payloadSize: BigInt(size) });
      // No thread count: a file of one segment is hashed on this thread, a larger one on workers.
      assert.deepEqual(await pieceCidOfFile(path), { ...expected, payloadSize: BigInt(size) });
      const stream = Readable.from(chunks(bytes, i + 2, 200_000), { objectMode: true });
      assert.deepEqual(await pieceCidOfStream(stream, { threads: 2 }), { ...expected, payloadSize: BigInt(size) });
    });
  }

  it("random sizes and chunkings (property)", async function () {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 65, max: 300_000 }), fc.integer(), fc.integer({ min: 1, max: 70_000 }), async (size, seed, max) => {
        const bytes = payload(size, seed);
        const expected = reference(bytes);
        const hasher = createPieceHasher();
        for (const chunk of chunks(bytes, seed, max)) hasher.write(chunk);
        assert.deepEqual(hasher.digest(), expected);
        assert.deepEqual(await pieceCidOfStream(chunks(bytes, seed ^ 1, max), { threads: 2 }), { ...expected, payloadSize: BigInt(size) });
      }),
      { numRuns: 12 },
    );
  });

  it("hashes only the first `length` bytes of a file when asked", async function () {
    const bytes = payload(SEGMENT + 5000, 7);
    const path = join(dir, "length.bin");
    await writeFile(path, bytes);
    const length = SEGMENT + 123;
    assert.deepEqual(await pieceCidOfFile(path, { length: BigInt(length), threads: 2 }), {
      ...reference(bytes.subarray(0, length)),
      payloadSize: BigInt(length),
    });
  });

  it("digest() does not end the hasher: writes may follow, and the digest is of everything so far", function () {
    for (const layout of ["payload", "fr32"] as const) {
      const bytes = layout === "fr32" ? Fr32.pad(payload(SEGMENT + 300, 3)) : payload(SEGMENT + 300, 3);
      const whole = createPieceHasher({ layout });
      whole.write(bytes);
      const hasher = createPieceHasher({ layout });
      hasher.write(bytes.subarray(0, 1024));
      const early = hasher.digest();
      assert.deepEqual(hasher.digest(), early, "twice the same");
      hasher.write(bytes.subarray(1024));
      assert.deepEqual(hasher.digest(), whole.digest(), layout);
    }
  });

  it("same input, same bytes out: repeated runs agree exactly", async function () {
    const bytes = payload(2 * SEGMENT + 77, 11);
    const path = join(dir, "again.bin");
    await writeFile(path, bytes);
    const first = await pieceCidOfFile(path);
    for (const threads of [1, 2, 3]) assert.deepEqual(await pieceCidOfFile(path, { threads }), first);
    assert.deepEqual(pieceCid(bytes), pieceCid(bytes));
  });

  it("its workers start whether Node runs eval code as CommonJS or as a module (--input-type=module)", async function () {
    const code = `import { pieceCidOfStream } from "@shoal/sdk/node";
      const piece = await pieceCidOfStream([new Uint8Array(2_100_000).fill(7)], { threads: 2 });
      process.stdout.write(piece.v2);`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", code], { cwd: fileURLToPath(new URL("../../", import.meta.url)) });
    assert.equal(stdout, pieceCid(new Uint8Array(2_100_000).fill(7)).v2);
  });

  describe("layout fr32 (Fr32-expanded leaves, as an unsealed sector holds them)", function () {
    for (const size of [65, 1000, 127 * 64, SEGMENT + 1, 2 * SEGMENT + 500]) {
      it(`${size} payload bytes, Fr32-padded by data-segment: the same root and height`, async function () {
        const bytes = payload(size, size);
        const expected = reference(bytes);
        const padded = Fr32.pad(bytes); // the whole piece: paddedSize bytes
        const hasher = createPieceHasher({ layout: "fr32" });
        for (const chunk of chunks(padded, size, 100_000)) hasher.write(chunk);
        const piece = hasher.digest();
        assert.equal(piece.root, expected.root);
        assert.equal(piece.height, expected.height);
        assert.equal(piece.paddedSize, expected.paddedSize);
        assert.equal(piece.v1, expected.v1);
        assert.equal(piece.padding, 0n, "the whole piece was given: no padding left");
        // Only the quads the payload fills: the rest of the piece is zero leaves.
        const used = padded.subarray(0, Math.ceil(size / 127) * 128);
        const path = join(dir, `fr32-${size}.bin`);
        await writeFile(path, used);
        const fromFile = await pieceCidOfFile(path, { layout: "fr32", threads: 2 });
        assert.equal(fromFile.root, expected.root);
        assert.equal(fromFile.paddedSize, expected.paddedSize);
        assert.equal(fromFile.payloadSize, (BigInt(used.length) / 128n) * 127n);
        assert.equal(fromFile.padding, expected.paddedSize / 128n * 127n - fromFile.payloadSize);
        const fromStream = await pieceCidOfStream(chunks(used, 5, 50_000), { layout: "fr32" });
        assert.deepEqual(fromStream, fromFile);
      });
    }
  });

  describe("bad input", function () {
    it("refuses payloads under 65 bytes (fr32: under 128) with PayloadTooSmallError", async function () {
      assert.throws(() => pieceCid(new Uint8Array(64)), PayloadTooSmallError);
      const hasher = createPieceHasher();
      hasher.write(new Uint8Array(64));
      assert.throws(() => hasher.digest(), PayloadTooSmallError);
      const fr32 = createPieceHasher({ layout: "fr32" });
      fr32.write(new Uint8Array(64));
      assert.throws(() => fr32.digest(), (e: PayloadTooSmallError) => e instanceof PayloadTooSmallError && e.minSize === 128);
      const path = join(dir, "small.bin");
      await writeFile(path, new Uint8Array(64));
      await assert.rejects(pieceCidOfFile(path), PayloadTooSmallError);
      await assert.rejects(pieceCidOfStream([new Uint8Array(64)]), PayloadTooSmallError);
    });

    it("refuses fr32 data that is not whole 128-byte quads with InvalidFr32LengthError", async function () {
      const hasher = createPieceHasher({ layout: "fr32" });
      hasher.write(new Uint8Array(200));
      assert.throws(() => hasher.digest(), (e: InvalidFr32LengthError) => e instanceof InvalidFr32LengthError && e.size === 200n);
      const path = join(dir, "odd.fr32");
      await writeFile(path, new Uint8Array(300));
      await assert.rejects(pieceCidOfFile(path, { layout: "fr32" }), InvalidFr32LengthError);
    });

    it("a missing file, a directory, or a length past the end: PieceFileUnreadableError with the reason", async function () {
      await assert.rejects(pieceCidOfFile(join(dir, "nope.bin")), (e: PieceFileUnreadableError) => e instanceof PieceFileUnreadableError && e.reason === "no such file");
      await assert.rejects(pieceCidOfFile(dir), (e: PieceFileUnreadableError) => e instanceof PieceFileUnreadableError && e.reason === "it is a directory");
      const path = join(dir, "short.bin");
      await writeFile(path, new Uint8Array(1000));
      await assert.rejects(pieceCidOfFile(path, { length: 1001n }), PieceFileUnreadableError);
    });

    it("a file that grows while hashed: PieceFileChangedError", async function () {
      const path = join(dir, "growing.bin");
      await writeFile(path, payload(3 * SEGMENT, 1));
      let appended = false;
      const onProgress = () => {
        if (!appended) appendFileSync(path, new Uint8Array(10));
        appended = true;
      };
      await assert.rejects(pieceCidOfFile(path, { threads: 1, onProgress }), (e: PieceFileChangedError) => {
        assert.ok(e instanceof PieceFileChangedError);
        assert.equal(e.sizeBefore, BigInt(3 * SEGMENT));
        return true;
      });
    });

    it("an aborted signal: PieceHashAbortedError, before or during the work", async function () {
      const path = join(dir, "abort.bin");
      await writeFile(path, payload(8 * SEGMENT, 2));
      await assert.rejects(pieceCidOfFile(path, { signal: AbortSignal.abort() }), PieceHashAbortedError);
      await writeFile(join(dir, "abort-small.bin"), payload(1000, 2)); // one segment: hashed on this thread
      await assert.rejects(pieceCidOfFile(join(dir, "abort-small.bin"), { signal: AbortSignal.abort() }), PieceHashAbortedError);
      const controller = new AbortController();
      const progress: bigint[] = [];
      const onProgress = (done: bigint) => {
        progress.push(done);
        controller.abort(new Error("enough"));
      };
      await assert.rejects(pieceCidOfFile(path, { signal: controller.signal, threads: 1, onProgress }), (e: PieceHashAbortedError) => {
        assert.ok(e instanceof PieceHashAbortedError);
        assert.equal((e.cause as Error).message, "enough");
        return true;
      });
      assert.ok(progress.length >= 1 && progress.at(-1)! < BigInt(8 * SEGMENT), "stopped before the end");
      await assert.rejects(pieceCidOfStream(chunks(new Uint8Array(5000), 1, 100), { signal: AbortSignal.abort() }), PieceHashAbortedError);
    });

    it("reports progress in order up to the total", async function () {
      const bytes = payload(2 * SEGMENT + 10, 4);
      const path = join(dir, "progress.bin");
      await writeFile(path, bytes);
      const seen: [bigint, bigint][] = [];
      await pieceCidOfFile(path, { threads: 2, onProgress: (done, total) => seen.push([done, total]) });
      const total = BigInt(bytes.length);
      assert.deepEqual(seen, [[BigInt(SEGMENT), total], [BigInt(2 * SEGMENT), total], [total, total]]);
    });
  });
});

describe("CommP module build (npm run build:commp)", function () {
  this.timeout(300_000);

  it("rebuilds the committed commp.wasm and its base64 embedding byte for byte", async function () {
    const dir = await mkdtemp(join(tmpdir(), "shoal-commp-build-"));
    try {
      const { wasm, embed } = await buildCommp(dir);
      const root = new URL("../../", import.meta.url);
      assert.ok((await readFile(wasm)).equals(await readFile(new URL(COMMP_WASM, root))), `${COMMP_WASM} is stale: run npm run build:commp and commit it`);
      assert.equal(await readFile(embed, "utf8"), await readFile(new URL(COMMP_EMBED, root), "utf8"), `${COMMP_EMBED} is stale: run npm run build:commp`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("shoal piece", function () {
  this.timeout(120_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "shoal-piece-cli-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("prints the v2 and v1 CIDs, payload and padded size; --json the same as one object", async function () {
    const bytes = payload(SEGMENT + 999, 9);
    const path = join(dir, "data.bin");
    await writeFile(path, bytes);
    const expected = reference(bytes);
    const text = await runCli(["piece", path]);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(
      text.stdout,
      `PieceCID v2   ${expected.v2}\nPieceCID v1   ${expected.v1}\npayload size  ${bytes.length} bytes\npadded size   ${expected.paddedSize} bytes\n`,
    );
    assert.equal(text.stderr, "", "no progress bar when stderr is not a terminal");
    const json = await runCli(["piece", path, "--json", "--threads", "1"]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), {
      file: path,
      pieceCid: expected.v2,
      pieceCidV1: expected.v1,
      root: expected.root,
      payloadSize: String(bytes.length),
      paddedSize: String(expected.paddedSize),
      height: expected.height,
      padding: String(expected.padding),
    });
  });

  it("bad input: one line, exit code 2, no stack trace", async function () {
    const small = join(dir, "small.bin");
    await writeFile(small, new Uint8Array(10));
    for (const [args, pattern] of [
      [["piece", join(dir, "missing.bin")], /^shoal: Cannot read .*missing\.bin: no such file\.\n$/],
      [["piece", small], /^shoal: Payload is 10 bytes; a piece needs at least 65\.\n$/],
      [["piece", dir], /it is a directory/],
    ] as const) {
      const run = await runCli(args);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, pattern);
      assert.equal(run.stderr.split("\n").length, 2, run.stderr);
      assert.equal(run.stdout, "");
    }
  });
});
