import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

import { CarBlockIterator } from "@ipld/car/iterator";
import { CarWriter } from "@ipld/car/writer";
import * as dagPb from "@ipld/dag-pb";
import fc from "fast-check";
import { UnixFS } from "ipfs-unixfs";
import { importer } from "ipfs-unixfs-importer";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { sha256, sha512 } from "multiformats/hashes/sha2";

import { computeCommitment } from "../../sdk/src/commitment.js";
import {
  BlockVerificationError,
  DestinationNotEmptyError,
  InvalidCarError,
  InvalidEntryNameError,
  InvalidResultCidError,
  MissingBlockError,
  ResultRootMismatchError,
  ResultTooLargeError,
  ShoalError,
  UnsupportedEntryError,
} from "../../sdk/src/errors/index.js";
import { resultCidBytes, resultCidFromBytes } from "../../sdk/src/result/index.js";
import { computeResultCid, packResult, unpackResult } from "../../sdk/src/node.js";

const MiB = 1 << 20;
const EMPTY_DIR = "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354";

/** A result tree: files by `/`-separated path, plus directories that may be empty. */
type Tree = { files: Record<string, Uint8Array>; dirs: string[] };

let base: string;
let counter = 0;
/** A fresh directory path (not created) under the test's temporary folder. */
const fresh = (label = "d") => join(base, `${label}-${counter++}`);

/** Drops paths that would need to be both a file and a directory. */
function normalize({ files, dirs }: Tree): Tree {
  const paths = Object.keys(files);
  const keep = paths.filter((p) => !paths.some((q) => q.startsWith(`${p}/`)));
  const kept = Object.fromEntries(keep.map((p) => [p, files[p]]));
  return { files: kept, dirs: dirs.filter((d) => !(d in kept) && !keep.some((f) => d.startsWith(`${f}/`))) };
}

/** Writes `tree` under a new directory, in forward or reverse order, with the given mtimes and modes. */
async function writeTree(tree: Tree, options: { reverse?: boolean; time?: number; mode?: number } = {}): Promise<string> {
  const root = fresh("tree");
  await mkdir(root);
  const items: [string, Uint8Array | null][] = [
    ...tree.dirs.map((d): [string, null] => [d, null]),
    ...Object.entries(tree.files),
  ];
  if (options.reverse) items.reverse();
  for (const [path, content] of items) {
    const target = join(root, path);
    if (content === null) await mkdir(target, { recursive: true });
    else {
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
      if (options.mode !== undefined) await chmod(target, options.mode);
    }
    if (options.time !== undefined) await utimes(target, options.time, options.time);
  }
  return root;
}

const NAMES = ["a", "b", "B", "a.txt", "é", "e\u0301", "z", "_", "10", "2", " sp", "日本", "x-y"];
const treeArbitrary = fc
  .record({
    files: fc.dictionary(
      fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 }).map((p) => p.join("/")),
      fc.uint8Array({ maxLength: 300 }),
      { maxKeys: 7, noNullPrototype: true },
    ),
    dirs: fc.array(fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 2 }).map((p) => p.join("/")), {
      maxLength: 2,
    }),
  })
  .map(normalize);

async function carBlocks(car: Uint8Array): Promise<{ cid: CID; bytes: Uint8Array }[]> {
  const blocks = [];
  for await (const block of await CarBlockIterator.fromBytes(car)) blocks.push(block);
  return blocks;
}

/** A CARv1 holding `blocks` with `root`. */
async function makeCar(root: CID, blocks: { cid: CID; bytes: Uint8Array }[]): Promise<Uint8Array> {
  const { writer, out } = CarWriter.create([root]);
  const chunks: Uint8Array[] = [];
  const reading = (async () => {
    for await (const chunk of out) chunks.push(chunk);
  })();
  for (const block of blocks) await writer.put(block);
  await writer.close();
  await reading;
  return new Uint8Array(Buffer.concat(chunks));
}

async function rawBlock(bytes: Uint8Array) {
  return { cid: CID.createV1(0x55, await sha256.digest(bytes)), bytes };
}

/** A dag-pb UnixFS node of `type` with the given links and data. */
async function pbBlock(
  type: "directory" | "symlink" | "file",
  links: { Name: string; Hash: CID; Tsize?: number }[],
  data?: Uint8Array,
) {
  const bytes = dagPb.encode({ Data: new UnixFS({ type, data }).marshal(), Links: links });
  return { cid: CID.createV1(dagPb.code, await sha256.digest(bytes)), bytes };
}

/** Asserts that unpacking `car` fails with `type` and leaves neither the destination nor a staging folder. */
async function rejectsUnpack(car: Uint8Array, expectedCid: CID, type: abstract new (...args: never[]) => Error) {
  const parent = fresh("parent");
  await mkdir(parent);
  const dest = join(parent, "out");
  await assert.rejects(unpackResult(car, dest, { expectedCid }), (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${error}`);
    assert.ok(error instanceof ShoalError);
    return true;
  });
  assert.deepEqual(await readdir(parent), []);
}

describe("result CIDs", () => {
  before(async () => {
    base = await mkdtemp(join(tmpdir(), "shoal-result-test-"));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  describe("computeResultCid", () => {
    it("gives the well-known empty-directory CID for an empty directory", async () => {
      const cid = await computeResultCid(await writeTree({ files: {}, dirs: [] }));
      assert.equal(cid.toString(), EMPTY_DIR);
      assert.equal(cid.version, 1);
      assert.equal(cid.code, 0x70);
      assert.equal(cid.multihash.code, 0x12);
    });

    it("pins a golden vector (a change here changes every result CID)", async () => {
      const root = await writeTree({
        files: { "hello.txt": new TextEncoder().encode("hello\n"), "sub/data.bin": new Uint8Array(100).fill(1) },
        dirs: ["sub/empty"],
      });
      assert.equal((await computeResultCid(root)).toString(), "bafybeic7z5gu43752mgdnpyogejug4s4pqgedbdrbdyd6itnsb7nqhnfkq");
    });

    it("matches the importer's own unixfs-v1-2025 profile (IPIP-499)", async () => {
      const tree = { files: { "a/big.bin": randomBytes(MiB + 17), "b.txt": new Uint8Array([1, 2, 3]) }, dirs: ["c"] };
      const root = await writeTree(tree);
      const candidates = [
        { path: "a" },
        { path: "a/big.bin", content: tree.files["a/big.bin"] },
        { path: "b.txt", content: tree.files["b.txt"] },
        { path: "c" },
      ];
      let profileCid: CID | undefined;
      const discard = { put: async (cid: CID) => cid };
      for await (const entry of importer(candidates, discard, { profile: "unixfs-v1-2025", wrapWithDirectory: true }))
        if (entry.path === "") profileCid = entry.cid;
      assert.equal((await computeResultCid(root)).toString(), profileCid?.toString());
    });

    it("gives the same CID for the same tree, whatever the creation order, mtimes and modes (property)", async () => {
      await fc.assert(
        fc.asyncProperty(
          treeArbitrary,
          fc.integer({ min: 0, max: 2_000_000_000 }),
          fc.constantFrom(0o644, 0o600, 0o755, 0o444),
          async (tree, time, mode) => {
            const first = await computeResultCid(await writeTree(tree));
            const second = await computeResultCid(await writeTree(tree, { reverse: true, time, mode }));
            assert.equal(second.toString(), first.toString());
          },
        ),
        { numRuns: 20 },
      );
    });

    it("gives a different CID after any byte change, rename or added file (property)", async () => {
      await fc.assert(
        fc.asyncProperty(
          treeArbitrary.filter((t) => Object.keys(t.files).length > 0),
          fc.nat(),
          fc.nat(),
          fc.constantFrom("flip", "append", "rename", "add", "add-empty-dir"),
          async (tree, pick, offset, change) => {
            const paths = Object.keys(tree.files);
            const path = paths[pick % paths.length];
            const files = { ...tree.files };
            const dirs = [...tree.dirs];
            const content = files[path];
            if (change === "flip" && content.length > 0) {
              const copy = Uint8Array.from(content);
              copy[offset % copy.length] ^= 1 << offset % 8;
              files[path] = copy;
            } else if (change === "flip" || change === "append") {
              files[path] = Uint8Array.from([...content, offset % 256]);
            } else if (change === "rename") {
              delete files[path];
              files[`${path}~`] = content;
            } else if (change === "add") {
              files["new-file"] = new Uint8Array();
            } else {
              dirs.push("new-dir");
            }
            const before = await computeResultCid(await writeTree(tree));
            const after = await computeResultCid(await writeTree({ files, dirs }));
            assert.notEqual(after.toString(), before.toString(), `${change} of ${path} kept the CID`);
          },
        ),
        { numRuns: 25 },
      );
    });

    it("distinguishes an empty subdirectory, nesting and file-vs-directory", async () => {
      const cids = await Promise.all(
        (<Tree[]>[
          { files: {}, dirs: ["a"] },
          { files: {}, dirs: ["a/b"] },
          { files: { a: new Uint8Array() }, dirs: [] },
          { files: { "a/b": new Uint8Array() }, dirs: [] },
          { files: { "a/b/c": new Uint8Array() }, dirs: [] },
        ]).map(async (tree) => (await computeResultCid(await writeTree(tree))).toString()),
      );
      assert.equal(new Set([EMPTY_DIR, ...cids]).size, 6);
    });

    it("chunks files above 1 MiB into 1 MiB raw leaves", async () => {
      const big = randomBytes(2 * MiB + MiB / 2);
      const root = await writeTree({ files: { "big.bin": big }, dirs: [] });
      const { cid, carBytes } = await packResult(root);
      const blocks = await carBlocks(carBytes);
      assert.equal(blocks[0].cid.toString(), cid.toString());
      const leaves = blocks.filter((b) => b.cid.code === 0x55);
      assert.deepEqual(
        leaves.map((b) => b.bytes.length),
        [MiB, MiB, MiB / 2],
      );
      assert.deepEqual(Buffer.concat(leaves.map((b) => b.bytes)), big);
      const file = dagPb.decode(blocks[1].bytes);
      assert.equal(UnixFS.unmarshal(file.Data as Uint8Array).type, "file");
      assert.equal(file.Links.length, 3);
    });

    it("shards a large directory deterministically and unpacks it", async function () {
      this.timeout(30_000);
      const files: Record<string, Uint8Array> = {};
      // ~1400 links of ~200 bytes: past the 256 KiB threshold at which a directory becomes a HAMT.
      for (let i = 0; i < 1400; i++) files[`${String(i).padStart(5, "0")}-${"n".repeat(150)}`] = new Uint8Array([i % 256]);
      const root = await writeTree({ files, dirs: [] });
      const packed = await packResult(root);
      const [first] = await carBlocks(packed.carBytes);
      assert.equal(UnixFS.unmarshal(dagPb.decode(first.bytes).Data as Uint8Array).type, "hamt-sharded-directory");
      assert.equal((await computeResultCid(await writeTree({ files, dirs: [] }, { reverse: true }))).toString(), packed.cid.toString());
      const dest = fresh("out");
      const { files: count } = await unpackResult(packed.carBytes, dest, { expectedCid: packed.cid });
      assert.equal(count, 1400);
      assert.equal((await computeResultCid(dest)).toString(), packed.cid.toString());
    });

    it("stores a small file as a single raw block", async () => {
      const { carBytes } = await packResult(await writeTree({ files: { "a.txt": new Uint8Array([1]) }, dirs: [] }));
      const blocks = await carBlocks(carBytes);
      assert.deepEqual(
        blocks.map((b) => b.cid.code),
        [0x70, 0x55],
      );
    });

    it("refuses a symlink, naming its path", async () => {
      const root = await writeTree({ files: { "sub/real.txt": new Uint8Array([1]) }, dirs: [] });
      await symlink("real.txt", join(root, "sub", "link"));
      await assert.rejects(computeResultCid(root), (error: unknown) => {
        assert.ok(error instanceof UnsupportedEntryError);
        assert.equal(error.name, "UnsupportedEntryError");
        assert.equal(error.kind, "symlink");
        assert.equal(error.path, join(root, "sub", "link"));
        assert.match(error.shortMessage, /^Unsupported symlink in result: .*sub\/link$/);
        return true;
      });
    });

    it("refuses a symlink to a directory and a dangling one", async () => {
      for (const target of [".", "/nonexistent"]) {
        const root = await writeTree({ files: {}, dirs: ["d"] });
        await symlink(target, join(root, "d", "link"));
        await assert.rejects(computeResultCid(root), UnsupportedEntryError);
      }
    });

    it("refuses a FIFO and a socket", async function () {
      const root = await writeTree({ files: {}, dirs: [] });
      execFileSync("mkfifo", [join(root, "pipe")]);
      await assert.rejects(computeResultCid(root), (error: unknown) => error instanceof UnsupportedEntryError && error.kind === "fifo");

      const other = await writeTree({ files: {}, dirs: [] });
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(join(other, "sock"), resolve));
      try {
        await assert.rejects(computeResultCid(other), (error: unknown) => error instanceof UnsupportedEntryError && error.kind === "socket");
      } finally {
        server.close();
      }
    });

    it("refuses names that are not UTF-8 or end in a backslash", async () => {
      const root = await writeTree({ files: {}, dirs: [] });
      await writeFile(Buffer.concat([Buffer.from(`${root}/`), Buffer.from([0x66, 0xff])]), "x");
      await assert.rejects(computeResultCid(root), (error: unknown) => error instanceof InvalidEntryNameError && /UTF-8/.test(error.reason));
      const other = await writeTree({ files: { "dir\\/file": new Uint8Array() }, dirs: [] });
      await assert.rejects(computeResultCid(other), (error: unknown) => error instanceof InvalidEntryNameError && /backslash/.test(error.reason));
    });

    it("enforces maxBytes", async () => {
      const root = await writeTree({ files: { a: new Uint8Array(600), "b/c": new Uint8Array(500) }, dirs: [] });
      assert.ok(await computeResultCid(root, { maxBytes: 1100 }));
      await assert.rejects(computeResultCid(root, { maxBytes: 1099n }), (error: unknown) => {
        assert.ok(error instanceof ResultTooLargeError);
        assert.equal(error.maxBytes, 1099n);
        return true;
      });
      await assert.rejects(packResult(root, undefined, { maxBytes: 10 }), ResultTooLargeError);
    });
  });

  describe("packResult and unpackResult", () => {
    it("round-trip any tree to identical bytes, CID and CAR (property)", async () => {
      await fc.assert(
        fc.asyncProperty(treeArbitrary, async (tree) => {
          const root = await writeTree(tree);
          const packed = await packResult(root);
          assert.equal(packed.cid.toString(), (await computeResultCid(root)).toString());
          assert.equal(packed.size, packed.carBytes.length);
          // Deterministic CAR: the same tree written in another order packs to the same bytes.
          assert.deepEqual((await packResult(await writeTree(tree, { reverse: true }))).carBytes, packed.carBytes);

          const dest = fresh("out");
          const unpacked = await unpackResult(packed.carBytes, dest, { expectedCid: packed.cid.toString() });
          assert.equal(unpacked.files, Object.keys(tree.files).length);
          for (const [path, content] of Object.entries(tree.files)) assert.deepEqual(new Uint8Array(await readFile(join(dest, path))), content);
          assert.equal((await computeResultCid(dest)).toString(), packed.cid.toString());
        }),
        { numRuns: 15 },
      );
    });

    it("writes the CAR to a file and unpacks it from the file and from a stream", async () => {
      const big = randomBytes(MiB + 3);
      const root = await writeTree({ files: { "x/big.bin": big, "y.txt": new Uint8Array([9]) }, dirs: ["z"] });
      const carPath = `${fresh("car")}.car`;
      const written = await packResult(root, carPath);
      assert.equal(written.path, carPath);
      const bytes = await readFile(carPath);
      assert.equal(written.size, bytes.length);
      assert.deepEqual(new Uint8Array(bytes), (await packResult(root)).carBytes);

      const fromFile = join(fresh("nested"), "deeper", "out"); // parents are created
      await unpackResult(carPath, fromFile, { expectedCid: written.cid });
      assert.deepEqual(await readFile(join(fromFile, "x/big.bin")), big);
      assert.deepEqual(await readdir(join(fromFile, "z")), []);

      const fromStream = fresh("out");
      async function* stream() {
        for (let i = 0; i < bytes.length; i += 1000) yield new Uint8Array(bytes.subarray(i, i + 1000));
      }
      const result = await unpackResult(stream(), fromStream, { expectedCid: written.cid });
      assert.equal(result.size, BigInt(big.length + 1));
      assert.equal(result.directories, 2);
    });

    it("unpacks into an existing empty directory but never into a non-empty one", async () => {
      const { cid, carBytes } = await packResult(await writeTree({ files: { a: new Uint8Array([1]) }, dirs: [] }));
      const empty = fresh("out");
      await mkdir(empty);
      await unpackResult(carBytes, empty, { expectedCid: cid });
      assert.deepEqual(await readdir(empty), ["a"]);
      await assert.rejects(unpackResult(carBytes, empty, { expectedCid: cid }), DestinationNotEmptyError);
      assert.deepEqual(await readFile(join(empty, "a")), Buffer.from([1]));
    });

    it("rejects a CAR with a tampered block", async () => {
      const { cid, carBytes } = await packResult(
        await writeTree({ files: { "a.txt": new TextEncoder().encode("the honest result") }, dirs: [] }),
      );
      const tampered = Uint8Array.from(carBytes);
      tampered[tampered.length - 1] ^= 0x01; // the last block's last byte
      await rejectsUnpack(tampered, cid, BlockVerificationError);
    });

    it("rejects a tampered block anywhere (property)", async () => {
      const { cid, carBytes } = await packResult(
        await writeTree({ files: { "a/b.bin": randomBytes(3000), "c.txt": randomBytes(10) }, dirs: ["d"] }),
      );
      const headerLength = carBytes[0] + 1; // a one-byte varint then the header
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: headerLength, max: carBytes.length - 1 }), fc.integer({ min: 1, max: 255 }), async (at, xor) => {
          const tampered = Uint8Array.from(carBytes);
          tampered[at] ^= xor;
          await assert.rejects(
            unpackResult(tampered, fresh("out"), { expectedCid: cid }),
            (error: unknown) => error instanceof ShoalError,
          );
        }),
        { numRuns: 30 },
      );
    });

    it("rejects a CAR whose root is not the expected CID", async () => {
      const one = await packResult(await writeTree({ files: { a: new Uint8Array([1]) }, dirs: [] }));
      const two = await packResult(await writeTree({ files: { a: new Uint8Array([2]) }, dirs: [] }));
      await rejectsUnpack(one.carBytes, two.cid, ResultRootMismatchError);
    });

    it("rejects blocks with an unknown hash function or a non-UnixFS codec", async () => {
      const bytes = new Uint8Array([1, 2, 3]);
      const unknownHash = CID.createV1(0x55, Digest.create(0xb220, new Uint8Array(32)));
      await rejectsUnpack(await makeCar(unknownHash, [{ cid: unknownHash, bytes }]), unknownHash, BlockVerificationError);
      const cbor = CID.createV1(0x71, await sha256.digest(bytes));
      await rejectsUnpack(await makeCar(cbor, [{ cid: cbor, bytes }]), cbor, BlockVerificationError);
    });

    it("accepts sha2-512 blocks, which it can verify", async () => {
      const file = { cid: CID.createV1(0x55, await sha512.digest(new Uint8Array([7]))), bytes: new Uint8Array([7]) };
      const dir = await pbBlock("directory", [{ Name: "f", Hash: file.cid, Tsize: 1 }]);
      const dest = fresh("out");
      await unpackResult(await makeCar(dir.cid, [dir, file]), dest, { expectedCid: dir.cid });
      assert.deepEqual(await readFile(join(dest, "f")), Buffer.from([7]));
    });

    it("rejects a CAR missing a block", async () => {
      const file = await rawBlock(new Uint8Array([1]));
      const dir = await pbBlock("directory", [{ Name: "f", Hash: file.cid, Tsize: 1 }]);
      await rejectsUnpack(await makeCar(dir.cid, [dir]), dir.cid, MissingBlockError);
    });

    it("rejects a root that is not a directory, and bytes that are not a CAR", async () => {
      const file = await rawBlock(new Uint8Array([1]));
      await rejectsUnpack(await makeCar(file.cid, [file]), file.cid, InvalidCarError);
      await rejectsUnpack(new Uint8Array([1, 2, 3]), file.cid, InvalidCarError);
    });

    for (const name of ["..", ".", "", "a/../../escape", "/etc/passwd", "nul\0byte"]) {
      it(`refuses the entry name ${JSON.stringify(name)} (path traversal)`, async () => {
        const file = await rawBlock(new TextEncoder().encode("evil"));
        const dir = await pbBlock("directory", [{ Name: name, Hash: file.cid, Tsize: 4 }]);
        await rejectsUnpack(await makeCar(dir.cid, [dir, file]), dir.cid, InvalidEntryNameError);
      });
    }

    it("refuses a nested traversal and a duplicate name", async () => {
      const file = await rawBlock(new TextEncoder().encode("evil"));
      const inner = await pbBlock("directory", [{ Name: "..", Hash: file.cid, Tsize: 4 }]);
      const outer = await pbBlock("directory", [{ Name: "sub", Hash: inner.cid, Tsize: 60 }]);
      await rejectsUnpack(await makeCar(outer.cid, [outer, inner, file]), outer.cid, InvalidEntryNameError);

      const twice = await pbBlock("directory", [
        { Name: "a", Hash: file.cid, Tsize: 4 },
        { Name: "a", Hash: file.cid, Tsize: 4 },
      ]);
      await rejectsUnpack(await makeCar(twice.cid, [twice, file]), twice.cid, InvalidEntryNameError);
    });

    it("refuses a UnixFS symlink", async () => {
      const link = await pbBlock("symlink", [], new TextEncoder().encode("/etc/passwd"));
      const dir = await pbBlock("directory", [{ Name: "passwd", Hash: link.cid, Tsize: 20 }]);
      await rejectsUnpack(await makeCar(dir.cid, [dir, link]), dir.cid, UnsupportedEntryError);
    });

    it("enforces maxBytes while unpacking", async () => {
      const { cid, carBytes } = await packResult(await writeTree({ files: { a: new Uint8Array(100) }, dirs: [] }));
      await assert.rejects(unpackResult(carBytes, fresh("out"), { expectedCid: cid, maxBytes: 99 }), ResultTooLargeError);
    });
  });

  describe("resultCidBytes", () => {
    it("gives the 36-byte binary CID the JobMarket takes, and reads it back", async () => {
      const cid = await computeResultCid(await writeTree({ files: { a: new Uint8Array([1]) }, dirs: [] }));
      const bytes = resultCidBytes(cid);
      assert.match(bytes, /^0x01701220[0-9a-f]{64}$/);
      assert.equal(resultCidBytes(cid.toString()), bytes);
      assert.equal(resultCidFromBytes(bytes).toString(), cid.toString());
      const { hash, seal } = computeCommitment({ jobId: 1n, provider: "0x0000000000000000000000000000000000000001", resultCid: bytes });
      assert.ok(hash !== seal);
    });

    it("accepts raw, dag-pb and dag-cbor sha2-256 CIDv1", async () => {
      const digest = await sha256.digest(new Uint8Array([1]));
      for (const codec of [0x55, 0x70, 0x71]) {
        assert.equal(resultCidBytes(CID.createV1(codec, digest)).slice(0, 10), `0x01${codec.toString(16)}1220`);
      }
    });

    it("refuses CIDv0, other hashes, other codecs and non-CIDs", async () => {
      const digest = await sha256.digest(new Uint8Array([1]));
      for (const cid of [
        CID.createV0(digest),
        CID.createV1(0x70, await sha512.digest(new Uint8Array([1]))),
        CID.createV1(0x0129, digest),
        "not a cid",
      ]) {
        assert.throws(() => resultCidBytes(cid), InvalidResultCidError);
      }
      assert.throws(() => resultCidFromBytes("0x0170"), InvalidResultCidError);
      assert.throws(() => resultCidFromBytes("0x123"), InvalidResultCidError);
    });
  });

  it("exports exactly this public API", async () => {
    assert.deepEqual(Object.keys(await import("../../sdk/src/result/index.js")).sort(), [
      "MemoryBlockstore", "RESULT_CHUNK_SIZE", "RESULT_CID_CODECS", "RESULT_MAX_CHILDREN", "RESULT_SHARD_THRESHOLD",
      "fetchResultFiles", "resultCidBytes", "resultCidFromBytes", "verifyBlock",
    ]);
  });
});
