import assert from "node:assert/strict";

import { Piece } from "@web3-storage/data-segment";
import fc from "fast-check";
import { network } from "hardhat";
import { base58btc } from "multiformats/bases/base58";
import { CID } from "multiformats/cid";
import { type Hex, bytesToHex, concat, hexToBytes } from "viem";

import {
  InvalidPieceCidError,
  InvalidPieceSizeError,
  PayloadTooSmallError,
  ShoalError,
} from "../../sdk/src/errors/index.js";
import { parsePieceCid, pieceCid, toJobInputs, toPieceRef } from "../../sdk/src/piece/index.js";
import { buildSpec } from "../../sdk/src/spec/index.js";
import { payloadOf, pieceCidV1, pieceCidV2, pieceFromBytes } from "../helpers/piece.js";

// The vectors of test/locality/piece-key.test.ts: data-segment 5.3.0 over payloadOf(`x${n}`, n).
const VECTORS = [
  {
    n: 65,
    height: 2,
    padding: 62n,
    v1: "0x0181e203922020f1534255b07b6af45a253ace65b2e0ee089df0617e2a7f6ca243a5a1df18882b",
    v2: "0x01559120223e02f1534255b07b6af45a253ace65b2e0ee089df0617e2a7f6ca243a5a1df18882b",
  },
  {
    n: 1000,
    height: 5,
    padding: 16n,
    v1: "0x0181e2039220201704a80f32c37cd67c0294b81d761b0003ec2982eb7e41793d8fe7da02990c1e",
    v2: "0x015591202210051704a80f32c37cd67c0294b81d761b0003ec2982eb7e41793d8fe7da02990c1e",
  },
  {
    n: 2033,
    height: 7,
    padding: 2031n,
    v1: "0x0181e203922020a02cb72f92a6b0cb2323aad614f1db0701794d6a5332e7ae51c01bf03eb7fb20",
    v2: "0x0155912023ef0f07a02cb72f92a6b0cb2323aad614f1db0701794d6a5332e7ae51c01bf03eb7fb20",
  },
] as const;

/** The base32 string of binary CID `hex`. */
const cidString = (hex: Hex) => CID.decode(hexToBytes(hex)).toString();

const ROOT = `0x${VECTORS[1].v1.slice(-64)}` as Hex;

describe("pieces", () => {
  describe("pieceCid", () => {
    it("matches the known vectors: both CID forms, root, height, padding and size", () => {
      for (const vector of VECTORS) {
        const piece = pieceCid(payloadOf(`x${vector.n}`, vector.n));
        assert.equal(bytesToHex(CID.parse(piece.v1).bytes), vector.v1);
        assert.equal(bytesToHex(CID.parse(piece.v2).bytes), vector.v2);
        assert.ok(piece.v1.startsWith("baga") && piece.v2.startsWith("bafkzcib"));
        assert.equal(piece.root, `0x${vector.v1.slice(-64)}`);
        assert.equal(piece.height, vector.height);
        assert.equal(piece.padding, vector.padding);
        assert.equal(piece.paddedSize, 32n << BigInt(vector.height));
      }
    });

    it("equals data-segment's own output and the independent CommP of test/helpers (property)", () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 65, maxLength: 5000 }), (payload) => {
          const piece = pieceCid(payload);
          const reference = Piece.fromPayload(payload);
          assert.equal(piece.v2, reference.toString());
          assert.equal(piece.v1, reference.toInfo().link.toString());
          const independent = pieceFromBytes(payload);
          assert.equal(piece.root, independent.root);
          assert.equal(piece.paddedSize, independent.paddedSize);
          assert.equal(bytesToHex(CID.parse(piece.v1).bytes), independent.v1);
          assert.equal(bytesToHex(CID.parse(piece.v2).bytes), independent.v2);
        }),
        { numRuns: 25 },
      );
    });

    it("gives v1 and v2 forms that name the same piece key", () => {
      for (const vector of VECTORS) {
        const piece = pieceCid(payloadOf(`x${vector.n}`, vector.n));
        const fromV2 = toPieceRef({ piece: piece.v2 });
        const fromV1 = toPieceRef({ piece: piece.v1, paddedSize: piece.paddedSize });
        assert.deepEqual(fromV1, fromV2);
        assert.deepEqual(fromV2, { root: piece.root, paddedSize: piece.paddedSize });
      }
    });

    it("refuses payloads under 65 bytes with a clear error", () => {
      for (const size of [0, 1, 64]) {
        assert.throws(
          () => pieceCid(new Uint8Array(size)),
          (error: unknown) =>
            error instanceof PayloadTooSmallError &&
            error instanceof ShoalError &&
            error.name === "PayloadTooSmallError" &&
            error.size === size &&
            error.minSize === 65 &&
            error.shortMessage === `Payload is ${size} bytes; a piece needs at least 65.`,
        );
      }
      assert.equal(pieceCid(new Uint8Array(65)).paddedSize, 128n);
    });
  });

  describe("parsePieceCid", () => {
    it("reads v1 and v2 and agrees with data-segment on v2", () => {
      for (const vector of VECTORS) {
        const v1 = parsePieceCid(cidString(vector.v1));
        assert.deepEqual(v1, { version: 1, cid: cidString(vector.v1), root: `0x${vector.v1.slice(-64)}` });
        const v2 = parsePieceCid(cidString(vector.v2));
        const reference = Piece.fromString(cidString(vector.v2));
        assert.equal(v2.version, 2);
        assert.equal(v2.version === 2 && v2.height, reference.height);
        assert.equal(v2.version === 2 && v2.padding, BigInt(reference.padding));
        assert.equal(v2.version === 2 && v2.paddedSize, BigInt(reference.size));
        assert.equal(v2.root, bytesToHex(reference.root));
      }
    });

    it("normalizes other multibase spellings to base32", () => {
      const v2 = cidString(VECTORS[0].v2);
      assert.equal(parsePieceCid(CID.parse(v2).toString(base58btc)).cid, v2);
    });

    const bad: [string, string, string][] = [
      ["text", "not-a-cid", "not a CID"],
      ["a sha2-256 raw CID", "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", "neither a v1"],
      ["a CIDv0", "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", "CIDv1"],
      ["a v2 of height 1", cidString(pieceCidV2(ROOT, 1)), "height 1"],
      ["a v2 of height 59", cidString(pieceCidV2(ROOT, 59)), "height 59"],
      ["a v2 whose padding fills the piece", cidString(pieceCidV2(ROOT, 2, 127n)), "padding 127"],
      ["a v2 with a non-minimal varint", cidString(concat(["0x0155912023800005", ROOT])), "not minimally encoded"],
      ["a v2 root with its top bits set", cidString(pieceCidV2(`0x${"ff".repeat(32)}`, 5)), "254 bits"],
      ["a v1 root with its top bits set", cidString(pieceCidV1(`0x${"ff".repeat(32)}`)), "254 bits"],
    ];
    for (const [name, piece, reason] of bad) {
      it(`refuses ${name}`, () => {
        assert.throws(
          () => parsePieceCid(piece),
          (error: unknown) => error instanceof InvalidPieceCidError && error.piece === piece && error.reason.includes(reason),
        );
      });
    }

    it("refuses a fil-commitment-unsealed CID with a sha2-256 multihash", () => {
      const sha = CID.parse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku").multihash;
      const piece = CID.create(1, 0xf101, sha).toString();
      assert.throws(() => parsePieceCid(piece), /sha2-256-trunc254-padded/);
    });
  });

  describe("toPieceRef", () => {
    const v1 = cidString(VECTORS[1].v1);
    const v2 = cidString(VECTORS[1].v2);

    it("takes the size from a v2 CID and checks a given one", () => {
      assert.deepEqual(toPieceRef({ piece: v2 }), { root: ROOT, paddedSize: 1024n });
      assert.deepEqual(toPieceRef({ piece: v2, paddedSize: 1024 }), { root: ROOT, paddedSize: 1024n });
      assert.throws(() => toPieceRef({ piece: v2, paddedSize: 2048n }), InvalidPieceSizeError);
    });

    it("needs a valid padded size with a v1 CID", () => {
      assert.deepEqual(toPieceRef({ piece: v1, paddedSize: 1024n }), { root: ROOT, paddedSize: 1024n });
      assert.deepEqual(toPieceRef({ piece: v1, paddedSize: 2n ** 63n }), { root: ROOT, paddedSize: 2n ** 63n });
      for (const paddedSize of [undefined, 0n, 64n, 1000n, 2n ** 64n]) {
        assert.throws(
          () => toPieceRef({ piece: v1, paddedSize }),
          (error: unknown) => error instanceof InvalidPieceSizeError && error.piece === v1,
        );
      }
    });

    it("agrees with the JobMarket's PieceKey library on random v2 CIDs (property)", async function () {
      this.timeout(60_000);
      const { viem } = await network.create();
      const harness = await viem.deployContract("PieceKeyHarness");
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 64 }),
          fc.oneof(fc.bigInt({ min: 0n, max: 300n }), fc.bigInt({ min: 0n, max: 2n ** 40n })),
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          fc.boolean(),
          async (height, padding, root, truncate) => {
            if (truncate) root[31] &= 0x3f;
            const bytes = pieceCidV2(bytesToHex(root), height, padding);
            let expected: readonly [Hex, bigint] | undefined;
            try {
              expected = await harness.read.fromV2([bytes]);
            } catch {
              expected = undefined;
            }
            let actual: readonly [Hex, bigint] | undefined;
            try {
              const ref = toPieceRef({ piece: cidString(bytes) });
              actual = [ref.root, ref.paddedSize];
            } catch (error) {
              assert.ok(error instanceof InvalidPieceCidError);
              actual = undefined;
            }
            assert.deepEqual(actual, expected);
            if (actual) accepted++;
          },
        ),
        { numRuns: 60 },
      );
      assert.ok(accepted > 5, `only ${accepted} valid CIDs were generated`);
    });
  });

  describe("toJobInputs", () => {
    const v1 = cidString(VECTORS[2].v1);
    const v2 = cidString(VECTORS[1].v2);
    const module = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";

    it("lists every piece input's key in spec order and skips CID inputs", () => {
      const spec = buildSpec({
        version: 1,
        engine: { type: "wasm", module },
        inputs: [
          { piece: v2, mount: "/inputs/a" },
          { cid: module, mount: "/inputs/b" },
          { piece: v1, size: 4096, mount: "/inputs/c", locality: true },
        ],
      });
      assert.deepEqual(toJobInputs(spec), {
        inputs: [
          { root: ROOT, paddedSize: 1024n },
          { root: `0x${VECTORS[2].v1.slice(-64)}`, paddedSize: 4096n },
        ],
        locality: true,
      });
    });

    it("asks for no locality when no input requires it", () => {
      const spec = buildSpec({ version: 1, engine: { type: "wasm", module }, inputs: [{ piece: v2, mount: "/inputs" }] });
      assert.deepEqual(toJobInputs(spec), { inputs: [{ root: ROOT, paddedSize: 1024n }], locality: false });
      assert.deepEqual(toJobInputs(buildSpec({ version: 1, engine: { type: "wasm", module } })), { inputs: [], locality: false });
    });
  });

  it("exports exactly this public API", async () => {
    assert.deepEqual(Object.keys(await import("../../sdk/src/piece/index.js")).sort(), [
      "FIL_COMMITMENT_UNSEALED", "FR32_SHA256_TRUNC254_PADBINTREE", "MAX_PIECE_HEIGHT", "MIN_PIECE_HEIGHT",
      "MIN_PIECE_PAYLOAD_SIZE", "SHA2_256_TRUNC254_PADDED", "createPieceHasher", "isPaddedSize", "parsePieceCid", "pieceCid",
      "toJobInputs", "toPieceRef",
    ]);
  });
});
