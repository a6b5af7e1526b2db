import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { CarWriter } from "@ipld/car/writer";
import { Fr32 } from "@web3-storage/data-segment";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import pino from "pino";

import {
  createInputResolver,
  InputCorruptError,
  InputError,
  InputTooLargeError,
  InputUnavailableError,
  ipfsHttp,
  pieceDirectory,
  pieceHttp,
  type PieceSource,
} from "../../agent/src/data/index.js";
import { pieceCid } from "../../sdk/src/piece/pieceCid.js";
import { toPieceRef } from "../../sdk/src/piece/toPieceRef.js";
import { packResult } from "../../sdk/src/result/packResult.js";
import type { SpecInputEntry } from "../../sdk/src/spec/schema.js";

const silent = pino({ level: "silent" });

let base: string;
let counter = 0;
const fresh = async (label: string) => {
  const dir = join(base, `${label}-${counter++}`);
  await mkdir(dir, { recursive: true });
  return dir;
};

/** A payload and its piece: v1, v2, root, paddedSize, padding. */
function makePiece(size = 1000) {
  const payload = randomBytes(size);
  return { payload, ...pieceCid(payload) };
}

const pieceInput = (piece: string, size?: bigint): SpecInputEntry => ({
  piece,
  ...(size === undefined ? {} : { size: Number(size) }),
  mount: "/inputs/data",
  locality: false,
});
const cidInput = (cid: string): SpecInputEntry => ({ cid, mount: "/inputs/set", locality: false });

/** Asserts that `promise` rejects with `type` naming `cid`, and returns the error. */
async function rejectsWith<T extends InputError>(promise: Promise<unknown>, type: new (...args: never[]) => T, cid?: string): Promise<T> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof type, `expected ${type.name}, got ${caught}`);
  if (cid !== undefined) assert.equal((caught as T).cid, cid);
  assert.ok((caught as T).reason.length > 0);
  return caught as T;
}

/** Whether the resolver left anything in its temporary folder. */
async function assertNoLeftovers(workDir: string) {
  assert.deepEqual(await readdir(join(workDir, "tmp")).catch(() => []), []);
}

/** A local HTTP server whose handler each test sets. */
async function startServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
const stopServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

async function carOf(root: CID, blocks: { cid: CID; bytes: Uint8Array }[]): Promise<Uint8Array> {
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

describe("agent data: input resolution", () => {
  before(async () => {
    base = await mkdtemp(join(tmpdir(), "shoal-data-"));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  describe("piece directory", () => {
    it("resolves a spec naming the v2 CID from a file named by the v1 CID, to exactly the payload", async () => {
      const piece = makePiece();
      const dir = await fresh("pieces");
      await writeFile(join(dir, piece.v1), piece.payload);
      const workDir = await fresh("work");
      const inputs = createInputResolver({ sources: [pieceDirectory({ dir })], workDir, logger: silent });

      const mounted = await inputs.resolve(pieceInput(piece.v2));
      assert.equal(mounted.mount, "/inputs/data");
      // Mounted where it lies: the stored file itself, nothing copied.
      assert.equal(mounted.hostPath, await realpath(join(dir, piece.v1)));
      assert.equal(mounted.copied, 0n);
      assert.deepEqual(await readFile(mounted.hostPath), piece.payload);
      await assertNoLeftovers(workDir);
    });

    it("resolves a spec naming the v1 CID (with its size) from a file named by the v2 CID", async () => {
      const piece = makePiece(777);
      const dir = await fresh("pieces");
      await writeFile(join(dir, piece.v2), piece.payload);
      const inputs = createInputResolver({ sources: [pieceDirectory({ dir })], workDir: await fresh("work") });

      const mounted = await inputs.resolve(pieceInput(piece.v1, piece.paddedSize));
      assert.deepEqual(await readFile(mounted.hostPath), piece.payload);
    });

    it("accepts a zero-padded or Fr32-padded unsealed piece and gives the job the exact payload", async () => {
      const piece = makePiece(1000);
      const capacity = Number((piece.paddedSize / 128n) * 127n);
      const zeroPadded = Buffer.concat([piece.payload, Buffer.alloc(capacity - piece.payload.length)]);
      const fr32 = Fr32.pad(piece.payload);
      assert.equal(BigInt(fr32.length), piece.paddedSize);

      for (const stored of [zeroPadded, fr32]) {
        const dir = await fresh("pieces");
        await writeFile(join(dir, `${piece.v1}.piece`), stored);
        const inputs = createInputResolver({ sources: [pieceDirectory({ dir })], workDir: await fresh("work") });
        const mounted = await inputs.resolve(pieceInput(piece.v2));
        assert.deepEqual(await readFile(mounted.hostPath), piece.payload);
      }
    });

    it("verifies a payload stored alone for a piece larger than it needs (zero tail not stored)", async () => {
      const payload = randomBytes(1000); // needs a 1024-byte piece; stored in a 4096-byte one
      const inBig = pieceCid(Buffer.concat([payload, Buffer.alloc(4064 - 1000)]));
      assert.equal(inBig.paddedSize, 4096n);
      const dir = await fresh("pieces");
      await writeFile(join(dir, inBig.v1), payload);
      const inputs = createInputResolver({ sources: [pieceDirectory({ dir })], workDir: await fresh("work") });
      const mounted = await inputs.resolve(pieceInput(inBig.v1, 4096n));
      assert.deepEqual(await readFile(mounted.hostPath), payload);
      // The v2 CID declares a 4064-byte payload (padding 0): the job sees it whole, zeros included.
      const exact = await inputs.resolve(pieceInput(inBig.v2));
      assert.equal((await readFile(exact.hostPath)).length, 4064);
    });

    it("finds a piece through a Boost-style index file", async () => {
      const piece = makePiece();
      const dir = await fresh("pieces");
      await mkdir(join(dir, "deal-42"));
      await writeFile(join(dir, "deal-42", "unsealed.bin"), piece.payload);
      await writeFile(join(dir, "index.json"), JSON.stringify({ [piece.v2]: "deal-42/unsealed.bin" }));
      const inputs = createInputResolver({
        sources: [pieceDirectory({ dir, index: "index.json" })],
        workDir: await fresh("work"),
      });
      assert.equal(await inputs.has(toPieceRef({ piece: piece.v2 })), true);
      const mounted = await inputs.resolve(pieceInput(piece.v1, piece.paddedSize));
      assert.deepEqual(await readFile(mounted.hostPath), piece.payload);
    });

    it("fails a piece with one byte flipped with InputCorruptError and leaves nothing behind", async () => {
      const piece = makePiece();
      const dir = await fresh("pieces");
      const tampered = Buffer.from(piece.payload);
      tampered[500] ^= 0x01;
      await writeFile(join(dir, piece.v1), tampered);
      const workDir = await fresh("work");
      const inputs = createInputResolver({ sources: [pieceDirectory({ dir })], workDir, logger: silent });

      const error = await rejectsWith(inputs.resolve(pieceInput(piece.v2)), InputCorruptError, piece.v2);
      assert.equal(error.code, "INPUT_CORRUPT");
      assert.match(error.reason, /CommP/);
      await assertNoLeftovers(workDir);
      assert.deepEqual(await readdir(join(workDir, "pieces")), []);
    });

    it("fails a v2 piece holding data where its CID declares padding", async () => {
      const piece = makePiece(1000);
      const capacity = Number((piece.paddedSize / 128n) * 127n);
      // Same root as a payload that fills the piece, but the CID claims a shorter payload.
      const full = randomBytes(capacity);
      const claimed = pieceCid(full);
      const dir = await fresh("pieces");
      await writeFile(join(dir, claimed.v1), full);
      const lying = (await import("../../agent/src/data/piece.js")).pieceCidV2(claimed.root, claimed.height, 10n);
      const inputs = createInputResolver({ sources: [pieceDirectory({ dir })], workDir: await fresh("work") });
      const error = await rejectsWith(inputs.resolve(pieceInput(lying)), InputCorruptError);
      assert.match(error.reason, /past the/);
    });

    it("fails a missing piece with InputUnavailableError", async () => {
      const piece = makePiece();
      const inputs = createInputResolver({ sources: [pieceDirectory({ dir: await fresh("pieces") })], workDir: await fresh("work") });
      const error = await rejectsWith(inputs.resolve(pieceInput(piece.v2)), InputUnavailableError, piece.v2);
      assert.equal(error.code, "INPUT_UNAVAILABLE");
    });

    it("answers has() by the canonical key, without reading the piece", async () => {
      const held = makePiece();
      const other = makePiece();
      const dir = await fresh("pieces");
      await writeFile(join(dir, held.v2), held.payload);
      const inputs = createInputResolver({ sources: [pieceDirectory({ dir })], workDir: await fresh("work") });
      assert.equal(await inputs.has({ root: held.root, paddedSize: held.paddedSize }), true);
      assert.equal(await inputs.has({ root: held.root, paddedSize: held.paddedSize * 2n }), false); // a v2 name says its size
      assert.equal(await inputs.has({ root: other.root, paddedSize: other.paddedSize }), false);
      await writeFile(join(dir, other.v2), other.payload); // appears later
      assert.equal(await inputs.has({ root: other.root, paddedSize: other.paddedSize }), true);
    });

    it("converts a layout jobs cannot read in place once, shares it between concurrent jobs and serves later jobs from the cache", async () => {
      const piece = makePiece(4000);
      const dir = await fresh("pieces");
      // Stored with its zero tail up to the piece's capacity: a v2 spec must see exactly the payload.
      await writeFile(join(dir, piece.v1), Buffer.concat([piece.payload, Buffer.alloc(Number(piece.padding))]));
      const inner = pieceDirectory({ dir });
      let opens = 0;
      const counting: PieceSource = { ...inner, open: (p, o) => (opens++, inner.open(p, o)) };
      const workDir = await fresh("work");
      const inputs = createInputResolver({ sources: [counting], workDir });

      const results = await Promise.all(Array.from({ length: 5 }, () => inputs.resolve(pieceInput(piece.v2))));
      assert.equal(opens, 1);
      assert.equal(new Set(results.map((r) => r.hostPath)).size, 1);
      assert.ok(results[0].hostPath.startsWith(workDir));
      assert.deepEqual(await readFile(results[0].hostPath), piece.payload);

      await rm(join(dir, piece.v1)); // the source loses it; the verified copy remains
      const again = createInputResolver({ sources: [counting], workDir }); // a restarted agent
      const mounted = await again.resolve(pieceInput(piece.v2));
      assert.equal(mounted.hostPath, results[0].hostPath);
      assert.equal(opens, 1);
      assert.equal(await again.has({ root: piece.root, paddedSize: piece.paddedSize }), true);
      assert.equal(((await stat(mounted.hostPath)).mode & 0o222), 0, "cached inputs are read-only");
    });

    it("rejects with the abort reason when the job is aborted", async () => {
      const piece = makePiece();
      const dir = await fresh("pieces");
      await writeFile(join(dir, piece.v1), piece.payload);
      const inputs = createInputResolver({ sources: [pieceDirectory({ dir })], workDir: await fresh("work") });
      const controller = new AbortController();
      controller.abort(new Error("shutting down"));
      await assert.rejects(inputs.resolve(pieceInput(piece.v2), { signal: controller.signal }), /shutting down/);
    });
  });

  describe("piece HTTP endpoint", () => {
    let server: Server;
    let url: string;
    let handler: (req: IncomingMessage, res: ServerResponse) => void;
    const requests: string[] = [];
    before(async () => {
      ({ server, url } = await startServer((req, res) => {
        requests.push(`${req.method} ${req.url}`);
        handler(req, res);
      }));
    });
    after(() => stopServer(server));
    beforeEach(() => {
      requests.length = 0;
    });

    /** Serves `body` at /piece/<cid> for the given CIDs, 404 elsewhere. */
    const serve = (cids: string[], body: Uint8Array, headers: Record<string, string> = {}) => {
      handler = (req, res) => {
        const cid = req.url?.replace(/^\/piece\//, "") ?? "";
        if (!cids.includes(cid)) return res.writeHead(404).end();
        res.writeHead(200, { "content-type": "application/octet-stream", ...headers });
        res.end(req.method === "HEAD" ? undefined : body);
      };
    };

    it("downloads and verifies the right bytes, asking the v1 CID when the v2 is unknown there", async () => {
      const piece = makePiece(3000);
      serve([piece.v1], piece.payload);
      const workDir = await fresh("work");
      const inputs = createInputResolver({ sources: [pieceHttp({ baseUrl: url })], workDir });
      const mounted = await inputs.resolve(pieceInput(piece.v2));
      assert.deepEqual(await readFile(mounted.hostPath), piece.payload);
      assert.deepEqual(requests, [`GET /piece/${piece.v2}`, `GET /piece/${piece.v1}`]);
      await assertNoLeftovers(workDir);
    });

    it("fails wrong bytes with InputCorruptError", async () => {
      const piece = makePiece();
      serve([piece.v2], randomBytes(piece.payload.length));
      const workDir = await fresh("work");
      const inputs = createInputResolver({ sources: [pieceHttp({ baseUrl: url })], workDir });
      await rejectsWith(inputs.resolve(pieceInput(piece.v2)), InputCorruptError, piece.v2);
      await assertNoLeftovers(workDir);
    });

    it("fails a 404 with InputUnavailableError, and a 500 naming the status", async () => {
      const piece = makePiece();
      serve([], piece.payload);
      const inputs = createInputResolver({ sources: [pieceHttp({ baseUrl: url })], workDir: await fresh("work") });
      await rejectsWith(inputs.resolve(pieceInput(piece.v2)), InputUnavailableError, piece.v2);
      handler = (_req, res) => res.writeHead(500).end();
      const error = await rejectsWith(inputs.resolve(pieceInput(piece.v2)), InputUnavailableError);
      assert.match(error.reason, /HTTP 500/);
    });

    it("refuses an oversize body: by Content-Length before reading, and by counting when streamed", async () => {
      const piece = makePiece(1000); // 1024-byte piece: at most 1016 payload bytes
      const oversize = Buffer.concat([piece.payload, Buffer.alloc(2000)]);
      serve([piece.v2], oversize);
      const workDir = await fresh("work");
      const inputs = createInputResolver({ sources: [pieceHttp({ baseUrl: url })], workDir });
      const declared = await rejectsWith(inputs.resolve(pieceInput(piece.v2)), InputCorruptError);
      assert.match(declared.reason, /more than the 1016/);

      // No Content-Length: chunked, and more bytes than the piece can hold.
      handler = (_req, res) => {
        res.writeHead(200);
        res.write(piece.payload);
        const timer = setInterval(() => res.write(Buffer.alloc(512)), 5);
        res.on("close", () => clearInterval(timer));
      };
      const streamed = await rejectsWith(inputs.resolve(pieceInput(piece.v2)), InputCorruptError);
      assert.match(streamed.reason, /more than the 1016/);
      await assertNoLeftovers(workDir);
    });

    it("times out a stalled endpoint as unavailable", async () => {
      const piece = makePiece();
      handler = (_req, res) => {
        res.writeHead(200);
        res.write(piece.payload.subarray(0, 10)); // then nothing
      };
      const inputs = createInputResolver({ sources: [pieceHttp({ baseUrl: url, timeoutMs: 200 })], workDir: await fresh("work") });
      await rejectsWith(inputs.resolve(pieceInput(piece.v2)), InputUnavailableError);
    });

    it("answers has() with a HEAD request", async () => {
      const piece = makePiece();
      serve([piece.v1], piece.payload);
      const inputs = createInputResolver({ sources: [pieceHttp({ baseUrl: url })], workDir: await fresh("work") });
      assert.equal(await inputs.has({ root: piece.root, paddedSize: piece.paddedSize }), true);
      assert.deepEqual(requests, [`HEAD /piece/${piece.v1}`]);
      const other = makePiece();
      assert.equal(await inputs.has({ root: other.root, paddedSize: other.paddedSize }), false);
    });

    it("falls back from a corrupt local copy to the HTTP endpoint", async () => {
      const piece = makePiece();
      const dir = await fresh("pieces");
      const tampered = Buffer.from(piece.payload);
      tampered[0] ^= 0xff;
      await writeFile(join(dir, piece.v2), tampered);
      serve([piece.v2], piece.payload);
      const inputs = createInputResolver({
        sources: [pieceDirectory({ dir }), pieceHttp({ baseUrl: url })],
        workDir: await fresh("work"),
        logger: silent,
      });
      const mounted = await inputs.resolve(pieceInput(piece.v2));
      assert.deepEqual(await readFile(mounted.hostPath), piece.payload);
    });
  });

  describe("CID inputs over a trustless gateway", () => {
    let server: Server;
    let url: string;
    const cars = new Map<string, Uint8Array>();
    before(async () => {
      ({ server, url } = await startServer((req, res) => {
        const match = /^\/ipfs\/([^/?]+)\?(.*)$/.exec(req.url ?? "");
        const car = match && new URLSearchParams(match[2]).get("format") === "car" ? cars.get(match[1]) : undefined;
        if (car === undefined) return res.writeHead(404).end();
        res.writeHead(200, { "content-type": "application/vnd.ipld.car" }).end(car);
      }));
    });
    after(() => stopServer(server));

    async function packedDirectory() {
      const dir = await fresh("tree");
      await mkdir(join(dir, "sub"));
      await writeFile(join(dir, "a.txt"), "hello shoal inputs\n".repeat(20));
      await writeFile(join(dir, "sub", "b.bin"), randomBytes(3000));
      const { cid, carBytes } = await packResult(dir);
      return { dir, cid: cid.toString(), carBytes };
    }

    it("unpacks a verified directory", async () => {
      const { dir, cid, carBytes } = await packedDirectory();
      cars.set(cid, carBytes);
      const workDir = await fresh("work");
      const inputs = createInputResolver({ sources: [ipfsHttp({ baseUrl: url })], workDir });
      const mounted = await inputs.resolve(cidInput(cid));
      assert.equal(mounted.mount, "/inputs/set");
      assert.deepEqual(await readFile(join(mounted.hostPath, "a.txt")), await readFile(join(dir, "a.txt")));
      assert.deepEqual(await readFile(join(mounted.hostPath, "sub", "b.bin")), await readFile(join(dir, "sub", "b.bin")));
      await assertNoLeftovers(workDir);
    });

    it("resolves a raw single-block CID to a file", async () => {
      const bytes = randomBytes(500);
      const cid = CID.createV1(0x55, await sha256.digest(bytes));
      cars.set(cid.toString(), await carOf(cid, [{ cid, bytes }]));
      const inputs = createInputResolver({ sources: [ipfsHttp({ baseUrl: url })], workDir: await fresh("work") });
      const mounted = await inputs.resolve(cidInput(cid.toString()));
      assert.deepEqual(await readFile(mounted.hostPath), bytes);
    });

    it("fails a CAR with a tampered block with InputCorruptError", async () => {
      const { cid, carBytes } = await packedDirectory();
      const tampered = Buffer.from(carBytes);
      const at = tampered.indexOf("hello shoal inputs");
      assert.ok(at > 0);
      tampered[at] ^= 0x20;
      cars.set(cid, tampered);
      const workDir = await fresh("work");
      const inputs = createInputResolver({ sources: [ipfsHttp({ baseUrl: url })], workDir });
      const error = await rejectsWith(inputs.resolve(cidInput(cid)), InputCorruptError, cid);
      assert.match(error.reason, /hash/);
      await assertNoLeftovers(workDir);
      assert.deepEqual(await readdir(join(workDir, "cids")), []);
    });

    it("fails a CAR for another root, and one missing a block, with InputCorruptError", async () => {
      const { cid, carBytes } = await packedDirectory();
      const other = await packedDirectory();
      cars.set(cid, other.carBytes);
      const inputs = createInputResolver({ sources: [ipfsHttp({ baseUrl: url })], workDir: await fresh("work") });
      await rejectsWith(inputs.resolve(cidInput(cid)), InputCorruptError, cid);

      const { CarBlockIterator } = await import("@ipld/car/iterator");
      const blocks = [];
      for await (const block of await CarBlockIterator.fromBytes(carBytes)) blocks.push(block);
      cars.set(cid, await carOf(CID.parse(cid), blocks.slice(0, -1)));
      await rejectsWith(inputs.resolve(cidInput(cid)), InputCorruptError, cid);
    });

    it("fails an unknown CID with InputUnavailableError and a too large one with InputTooLargeError", async () => {
      const { cid, carBytes } = await packedDirectory();
      const unknown = CID.createV1(0x55, await sha256.digest(randomBytes(8))).toString();
      const inputs = createInputResolver({ sources: [ipfsHttp({ baseUrl: url })], workDir: await fresh("work"), maxCidBytes: 1000 });
      await rejectsWith(inputs.resolve(cidInput(unknown)), InputUnavailableError, unknown);
      cars.set(cid, carBytes);
      await rejectsWith(inputs.resolve(cidInput(cid)), InputTooLargeError, cid);
    });
  });

  it("computes the same CommP as Piece.fromPayload for payloads of many sizes (streamed in odd chunks)", async () => {
    const { verifyPiece } = await import("../../agent/src/data/verifyPiece.js");
    const { pieceQueryOfInput } = await import("../../agent/src/data/piece.js");
    const dir = await fresh("commp");
    for (const size of [65, 126, 127, 128, 254, 255, 1016, 1017, 4064, 10_000]) {
      const payload = randomBytes(size);
      const piece = pieceCid(payload);
      const chunks = async function* () {
        for (let i = 0; i < payload.length; i += 37) yield payload.subarray(i, i + 37);
      };
      const dest = join(dir, `${size}`);
      const result = await verifyPiece(
        { origin: "test", size: undefined, layout: "payload", padding: undefined, body: chunks() },
        pieceQueryOfInput({ piece: piece.v2 }),
        dest,
      );
      assert.equal(result.size, BigInt(size));
      assert.equal(createHash("sha256").update(await readFile(dest)).digest("hex"), createHash("sha256").update(payload).digest("hex"));
    }
  });
});
