import assert from "node:assert/strict";
import { network } from "hardhat";
import { type Hex, concat, hexToBytes, bytesToHex } from "viem";

import { payloadOf, pieceCidV1, pieceCidV2, pieceFromBytes } from "../helpers/piece.js";
import { expectRevert } from "../helpers/revert.js";

// Vectors computed with @web3-storage/data-segment 5.3.0 (Piece.fromPayload) over payloadOf(`x${n}`, n).
// They pin the TypeScript CommP in test/helpers/piece.ts to an independent implementation.
const VECTORS = [
  {
    n: 65, // height 2 (the smallest piece), 1-byte padding varint
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
    n: 2033, // 2-byte padding varint
    height: 7,
    padding: 2031n,
    v1: "0x0181e203922020a02cb72f92a6b0cb2323aad614f1db0701794d6a5332e7ae51c01bf03eb7fb20",
    v2: "0x0155912023ef0f07a02cb72f92a6b0cb2323aad614f1db0701794d6a5332e7ae51c01bf03eb7fb20",
  },
  {
    n: 40000,
    height: 11,
    padding: 25024n,
    v1: "0x0181e203922020fca3db3002bd8da4f65531c9d78efa34b40fb565e7f5c78e61d627c2302dce35",
    v2: "0x0155912024c0c3010bfca3db3002bd8da4f65531c9d78efa34b40fb565e7f5c78e61d627c2302dce35",
  },
] as const;

const ROOT = VECTORS[1].v1.slice(-64);
const root: Hex = `0x${ROOT}`;

/** Replaces byte `index` of `hex`. */
function withByte(hex: Hex, index: number, value: number): Hex {
  const bytes = hexToBytes(hex);
  bytes[index] = value;
  return bytesToHex(bytes);
}

describe("PieceKey", () => {
  let harness: Awaited<ReturnType<typeof deploy>>;
  async function deploy() {
    const { viem } = await network.create();
    return viem.deployContract("PieceKeyHarness");
  }
  before(async () => {
    harness = await deploy();
  });

  describe("the TypeScript piece helper", () => {
    it("matches data-segment's CommP, heights, paddings and both CID forms", () => {
      for (const vector of VECTORS) {
        const piece = pieceFromBytes(payloadOf(`x${vector.n}`, vector.n));
        assert.equal(piece.v1, vector.v1);
        assert.equal(piece.v2, vector.v2);
        assert.equal(piece.height, vector.height);
        assert.equal(piece.padding, vector.padding);
        assert.equal(piece.paddedSize, 32n << BigInt(vector.height));
        assert.equal(piece.root, `0x${vector.v1.slice(-64)}`);
      }
    });
  });

  describe("fromV1", () => {
    it("parses a bare PieceCID v1", async () => {
      for (const vector of VECTORS) {
        assert.equal(await harness.read.fromV1([vector.v1]), `0x${vector.v1.slice(-64)}`);
      }
    });

    it("parses the market actor's form with a leading 0x00", async () => {
      assert.equal(await harness.read.fromV1([concat(["0x00", pieceCidV1(root)])]), root);
    });

    it("refuses a wrong length", async () => {
      await expectRevert(harness.read.fromV1([pieceCidV1(root).slice(0, -2) as Hex]), "PieceKeyInvalidLength", [39n, 38n]);
      await expectRevert(harness.read.fromV1([concat(["0x0000", pieceCidV1(root)])]), "PieceKeyInvalidLength", [39n, 41n]);
    });

    it("refuses a leading byte other than 0x00 in the 40-byte form", async () => {
      await expectRevert(harness.read.fromV1([concat(["0x01", pieceCidV1(root)])]), "PieceKeyInvalidByte", [0n, "0x01"]);
    });

    it("refuses every wrong header byte: version, codec, multihash, digest length", async () => {
      const cid = pieceCidV1(root);
      for (let i = 0; i < 7; i++) {
        const bad = withByte(cid, i, hexToBytes(cid)[i] ^ 0x01);
        await expectRevert(harness.read.fromV1([bad]), "PieceKeyInvalidByte", [BigInt(i), bytesToHex(hexToBytes(bad).subarray(i, i + 1))]);
      }
    });

    it("refuses a v2 CID of the same length", async () => {
      const v2 = pieceCidV2(root, 5, 16n); // 39 bytes with a one-byte padding varint
      await expectRevert(harness.read.fromV1([v2]), "PieceKeyInvalidByte", [1n, "0x55"]);
    });

    it("refuses a root that is not truncated to 254 bits", async () => {
      const bad = withByte(pieceCidV1(root), 38, 0x40);
      await expectRevert(harness.read.fromV1([bad]), "PieceKeyInvalidRoot");
    });
  });

  describe("fromV2", () => {
    it("parses PieceCID v2 at several heights and paddings", async () => {
      for (const vector of VECTORS) {
        assert.deepEqual(await harness.read.fromV2([vector.v2]), [`0x${vector.v2.slice(-64)}`, 32n << BigInt(vector.height)]);
      }
    });

    it("parses the smallest and the largest heights", async () => {
      assert.deepEqual(await harness.read.fromV2([pieceCidV2(root, 2)]), [root, 128n]);
      assert.deepEqual(await harness.read.fromV2([pieceCidV2(root, 35)]), [root, 1n << 40n]);
      assert.deepEqual(await harness.read.fromV2([pieceCidV2(root, 58)]), [root, 1n << 63n]);
    });

    it("refuses heights below 128 bytes or beyond a uint64 size", async () => {
      await expectRevert(harness.read.fromV2([pieceCidV2(root, 1)]), "PieceKeyInvalidHeight", [1]);
      await expectRevert(harness.read.fromV2([pieceCidV2(root, 59)]), "PieceKeyInvalidHeight", [59]);
    });

    it("refuses excessive padding", async () => {
      // A 128-byte piece holds 127 unpadded bytes: padding 127 is excessive, 126 is not.
      assert.deepEqual(await harness.read.fromV2([pieceCidV2(root, 2, 126n)]), [root, 128n]);
      await expectRevert(harness.read.fromV2([pieceCidV2(root, 2, 127n)]), "PieceKeyExcessivePadding", [127n, 2]);
    });

    it("refuses every wrong prefix byte", async () => {
      const cid = pieceCidV2(root, 5, 16n);
      for (let i = 0; i < 4; i++) {
        const bad = withByte(cid, i, hexToBytes(cid)[i] ^ 0x01);
        await expectRevert(harness.read.fromV2([bad]), "PieceKeyInvalidByte", [BigInt(i), bytesToHex(hexToBytes(bad).subarray(i, i + 1))]);
      }
    });

    it("refuses a v1 CID", async () => {
      await expectRevert(harness.read.fromV2([pieceCidV1(root)]), "PieceKeyInvalidByte", [1n, "0x81"]);
    });

    it("refuses a digest length that disagrees with the digest", async () => {
      const cid = pieceCidV2(root, 5, 16n); // 01559120 22 10 05 root
      await expectRevert(harness.read.fromV2([withByte(cid, 4, 0x23)]), "PieceKeyInvalidDigestLength", [0x23n, 0x22n]);
    });

    it("refuses truncated or extended CIDs", async () => {
      const cid = pieceCidV2(root, 5, 16n);
      await expectRevert(harness.read.fromV2([cid.slice(0, -2) as Hex]), "PieceKeyInvalidLength", [39n, 38n]);
      await expectRevert(harness.read.fromV2([concat([cid, "0x00"])]), "PieceKeyInvalidLength", [39n, 40n]);
      await expectRevert(harness.read.fromV2(["0x"]), "PieceKeyInvalidLength", [39n, 0n]);
    });

    it("refuses non-minimal varints", async () => {
      // padding 16 written as 0x90 0x00 instead of 0x10
      const bad = concat(["0x01559120", "0x23", "0x9000", "0x05", root]);
      await expectRevert(harness.read.fromV2([bad]), "PieceKeyInvalidVarint", [5n]);
    });

    it("refuses a root that is not truncated to 254 bits", async () => {
      const bad = pieceCidV2(`0x${"11".repeat(31)}c0`, 5, 16n);
      await expectRevert(harness.read.fromV2([bad]), "PieceKeyInvalidRoot");
    });
  });
});
