import assert from "node:assert/strict";

import {
  decodeModel,
  decodeShard,
  encodeModel,
  encodeShard,
  InvalidModelError,
  InvalidShardError,
  InvalidSplitError,
  type Model,
  modelParamCount,
  rawCid,
  type Shard,
  splitDataset,
} from "../../sdk/src/ml/index.js";
import { mnistOnce, syntheticShard } from "./fixtures.js";

const u8: Shard = { rows: 2, features: 3, classes: 4, dtype: "u8", data: Uint8Array.of(0, 255, 9, 1, 2, 3), labels: Uint8Array.of(3, 0) };

function throwsReason(fn: () => unknown, type: typeof InvalidShardError | typeof InvalidModelError | typeof InvalidSplitError, reason: RegExp): void {
  assert.throws(fn, (error: unknown) => error instanceof type && reason.test(error.reason) && !error.shortMessage.includes("\n"));
}

describe("ML formats and dataset splitting (@shoal/sdk/ml)", function () {
  this.timeout(30_000);

  describe("shards", function () {
    it("round-trip u8, f32 and unlabelled shards, with the documented header", function () {
      const bytes = encodeShard(u8);
      assert.deepEqual([...bytes.subarray(0, 20)], [0x53, 0x48, 0x52, 0x44, 1, 0, 1, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0]);
      assert.equal(bytes.length, 20 + 6 + 2);
      assert.deepEqual(decodeShard(bytes), u8);
      const f32 = syntheticShard(5, 4, 3);
      assert.deepEqual(decodeShard(encodeShard(f32)), f32);
      const rows: Shard = { ...u8, classes: 0, labels: new Uint8Array(0) };
      assert.equal(encodeShard(rows).length, 26);
      assert.deepEqual(decodeShard(encodeShard(rows)), rows);
    });

    it("refuses bad bytes with the kernels' reasons", function () {
      const edit = (f: (b: Uint8Array, v: DataView) => Uint8Array | void) => () => {
        const b = encodeShard(u8);
        return decodeShard(f(b, new DataView(b.buffer)) ?? b);
      };
      throwsReason(edit((b) => void (b[1] = 0)), InvalidShardError, /bad magic/);
      throwsReason(edit((_, v) => v.setUint16(4, 9, true)), InvalidShardError, /unsupported version 9/);
      throwsReason(edit((b) => void (b[6] = 3)), InvalidShardError, /unknown dtype 3/);
      throwsReason(edit((_, v) => v.setUint16(16, 1, true)), InvalidShardError, /1 classes/);
      throwsReason(edit((b) => void (b[27] = 4)), InvalidShardError, /label 4 of row 1 is out of range/);
      throwsReason(edit((b) => b.subarray(0, 25)), InvalidShardError, /truncated rows/);
      throwsReason(edit((b) => Uint8Array.from([...b, 0])), InvalidShardError, /1 bytes after the last row/);
      throwsReason(edit((b) => b.subarray(0, 8)), InvalidShardError, /truncated header/);
      throwsReason(() => encodeShard({ ...u8, labels: Uint8Array.of(1) }), InvalidShardError, /1 labels for 2 rows/);
    });
  });

  describe("models", function () {
    const model: Model = { kind: "mlp", inputs: 3, hidden: 2, classes: 2, samples: 2n ** 40n + 7n, params: Float32Array.from({ length: 14 }, (_, i) => i / 3 - 1) };

    it("round-trip, with the documented header and parameter count", function () {
      assert.equal(modelParamCount(model), 3 * 2 + 2 + 2 * 2 + 2);
      const bytes = encodeModel(model);
      assert.deepEqual([...bytes.subarray(0, 8)], [0x53, 0x4d, 0x44, 0x4c, 1, 0, 2, 0]);
      assert.equal(bytes.length, 32 + 4 * 14);
      assert.deepEqual(decodeModel(bytes), model);
      const softmax: Model = { kind: "softmax", inputs: 2, hidden: 0, classes: 3, samples: 0n, params: new Float32Array(9) };
      assert.deepEqual(decodeModel(encodeModel(softmax)), softmax);
    });

    it("refuses NaN, Inf, wrong lengths, kinds and shapes", function () {
      const bytes = encodeModel(model);
      const nan = Uint8Array.from(bytes);
      new DataView(nan.buffer).setFloat32(36, Number.NaN, true);
      throwsReason(() => decodeModel(nan), InvalidModelError, /parameter 1 is NaN/);
      throwsReason(() => decodeModel(bytes.subarray(0, 40)), InvalidModelError, /40 bytes, but its shape needs 88/);
      const kind = Uint8Array.from(bytes);
      kind[6] = 1; // softmax with hidden units
      throwsReason(() => decodeModel(kind), InvalidModelError, /a softmax model has 0 hidden units, this one says 2/);
      throwsReason(() => encodeModel({ ...model, params: Float32Array.of(Number.POSITIVE_INFINITY) }), InvalidModelError, /1 parameters, its shape has 14/);
    });
  });

  describe("splitDataset", function () {
    it("holds out a test shard and deals IID shards of equal size, the same for the same seed", function () {
      const dataset = mnistOnce();
      assert.deepEqual([dataset.rows, dataset.features, dataset.classes], [10_000, 784, 10]);
      const a = splitDataset({ dataset, shards: 3, testRows: 1000, trainRows: 3000, seed: 4 });
      const b = splitDataset({ dataset, shards: 3, testRows: 1000, trainRows: 3000, seed: 4 });
      const c = splitDataset({ dataset, shards: 3, testRows: 1000, trainRows: 3000, seed: 5 });
      assert.deepEqual(a, b);
      assert.notDeepEqual(a.train[0]!.labels, c.train[0]!.labels);
      assert.deepEqual(a.train.map((s) => s.rows), [1000, 1000, 1000]);
      assert.equal(a.test.rows, 1000);
      // Rows are disjoint: count each distinct row (its bytes) across the four shards.
      const seen = new Set<string>();
      for (const shard of [...a.train, a.test])
        for (let r = 0; r < shard.rows; r++) seen.add(Buffer.from(shard.data.subarray(r * 784, (r + 1) * 784) as Uint8Array).toString("base64"));
      assert.ok(seen.size >= 3990, `only ${seen.size} distinct rows of 4000`); // MNIST has a few duplicate digits
      for (const shard of a.train) assert.equal(new Set(shard.labels).size, 10);
    });

    it("deals label-skewed shards with --non-iid: each sees few digits", function () {
      const { train } = splitDataset({ dataset: mnistOnce(), shards: 3, testRows: 2000, seed: 1, nonIid: true });
      assert.equal(train.reduce((n, s) => n + s.rows, 0), 8000);
      // Two label-sorted runs of ~1333 rows each: at most 3 digits per run, so at least 4 digits missing.
      for (const shard of train) assert.ok(new Set(shard.labels).size <= 6, `${new Set(shard.labels).size} labels`);
    });

    it("refuses splits it cannot make", function () {
      const dataset = mnistOnce();
      throwsReason(() => splitDataset({ dataset, shards: 0 }), InvalidSplitError, /shards must be 1..64/);
      throwsReason(() => splitDataset({ dataset, shards: 2, testRows: 5000, trainRows: 6000 }), InvalidSplitError, /need 11000, the dataset has 10000/);
      throwsReason(() => splitDataset({ dataset, shards: 2, seed: -1 }), InvalidSplitError, /seed must be a u32/);
    });
  });

  it("rawCid names bytes by their sha2-256 (the module CID of a job spec)", async function () {
    assert.equal(await rawCid(new TextEncoder().encode("hello")), "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq");
  });
});
