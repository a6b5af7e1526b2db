import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { ExecutionError } from "../../agent/src/executors/types.js";
import { decodeModel, encodeModel, encodeShard, type Model, type Shard } from "../../sdk/src/ml/index.js";
import { type Mount, mlRunner, type MlModule } from "../../scripts/lib/mlJobs.js";
import { fileMount, modelMount, shardMount, smallMnist, syntheticShard, useFixtureDir } from "./fixtures.js";

// The committed modules (ml/modules), run as a provider runs them: the agent's WasmExecutor, its
// workers reused from run to run, inputs mounted read-only.

type Runner = Awaited<ReturnType<typeof mlRunner>>;
let runner: Runner;
let base: string;
let split: ReturnType<typeof smallMnist>;
let shard0: Mount;
let test: Mount;

const read = (dir: string, file: string): Promise<Buffer> => readFile(join(dir, file));
const json = async (dir: string, file = "metrics.json") => JSON.parse(await readFile(join(dir, file), "utf8"));

/** Trains on shard 0 (300 MNIST rows), --epochs 2 --hidden 16 --seed 5 unless `args` say otherwise; returns the output directory. */
async function train(args: string[] = [], mounts: Mount[] = [], r: Runner = runner): Promise<string> {
  const options = new Map([["--shard", "/inputs/shard"], ["--epochs", "2"], ["--hidden", "16"], ["--seed", "5"]]);
  for (let i = 0; i < args.length; i += 2) options.set(args[i]!, args[i + 1]!);
  const { outputDir } = await r.run("train", [...options].flat(), [shard0, ...mounts]);
  return outputDir;
}

/** Expects a failed run whose one-line reason on stderr matches `reason`. */
async function fails(module: MlModule, args: string[], mounts: Mount[], reason: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await runner.run(module, args, mounts);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ExecutionError, `expected a failed run, got ${String(caught)}`);
  assert.equal(caught.code, "NON_ZERO_EXIT", caught.message);
  const stderr = caught.message.replace(/^.*?stderr: /s, "");
  assert.match(stderr, new RegExp(`^${module}: `), caught.message);
  assert.equal(stderr.trim().split("\n").length, 1, `one line expected: ${stderr}`);
  assert.match(stderr, reason);
}

function shardBytes(shard: Shard, edit: (bytes: Uint8Array, view: DataView) => Uint8Array | void): Uint8Array {
  const bytes = encodeShard(shard);
  return edit(bytes, new DataView(bytes.buffer)) ?? bytes;
}

describe("ML kernels (WASM modules through the WasmExecutor)", function () {
  this.timeout(60_000);

  before(async function () {
    base = await mkdtemp(join(tmpdir(), "shoal-ml-kernels-"));
    useFixtureDir(base);
    runner = await mlRunner({ tempDir: base });
    split = smallMnist();
    shard0 = await shardMount(split.train[0]!);
    test = await shardMount(split.test, "/inputs/test");
  });

  after(async function () {
    useFixtureDir(undefined);
    await rm(base, { recursive: true, force: true });
  });

  describe("train", function () {
    it("trains an MLP: model.bin with its shape and samples, metrics.json with a falling loss per epoch", async function () {
      const out = await train(["--epochs", "3"]);
      const model = decodeModel(await read(out, "model.bin"));
      assert.deepEqual([model.kind, model.inputs, model.hidden, model.classes, model.samples], ["mlp", 784, 16, 10, 300n]);
      const metrics = await json(out);
      assert.equal(metrics.samples, 300);
      assert.equal(metrics.loss.length, 3);
      assert.ok(metrics.loss[2] < metrics.loss[0], `loss ${metrics.loss}`);
      assert.equal(metrics.start, "init");
    });

    it("trains softmax regression with --hidden 0", async function () {
      const out = await train(["--hidden", "0"]);
      const model = decodeModel(await read(out, "model.bin"));
      assert.deepEqual([model.kind, model.hidden, model.params.length], ["softmax", 0, 7850]);
    });

    it("gives identical bytes when the same job runs again, after other jobs on a reused worker and on a fresh worker per run", async function () {
      const other = await mlRunner({ tempDir: base, jobsPerWorker: 1 });
      const runs = [await train(), await train(), await train([], [], other)];
      const [model, metrics] = [await read(runs[0]!, "model.bin"), await read(runs[0]!, "metrics.json")];
      for (const out of runs.slice(1)) {
        assert.ok((await read(out, "model.bin")).equals(model), "model.bin differs between replicas");
        assert.ok((await read(out, "metrics.json")).equals(metrics), "metrics.json differs between replicas");
      }
      const reseeded = await train(["--seed", "6"]);
      assert.ok(!(await read(reseeded, "model.bin")).equals(model), "another seed must give another model");
    });

    it("continues from a starting model given as a file or as a directory holding model.bin", async function () {
      const first = await train();
      const fromDir = await train(["--model", "/inputs/model"], [{ mount: "/inputs/model", hostPath: first }]);
      const fromFile = await train(["--model", "/inputs/m.bin"], [{ mount: "/inputs/m.bin", hostPath: join(first, "model.bin") }]);
      assert.ok((await read(fromDir, "model.bin")).equals(await read(fromFile, "model.bin")));
      assert.equal((await json(fromDir)).start, "model");
      const before = (await json(first)).loss;
      const after = (await json(fromDir)).loss;
      assert.ok(after[0] < before[0], `a trained start begins lower: ${after} vs ${before}`);
    });

    for (const hidden of [0, 4]) {
      it(`matches central finite differences in --grad-check mode (hidden ${hidden})`, async function () {
        const shard = await shardMount(syntheticShard(12, 5, 3));
        const { outputDir } = await runner.run("train", ["--shard", "/inputs/shard", "--hidden", String(hidden), "--seed", "9", "--grad-check"], [shard]);
        const { params, checks } = (await json(outputDir, "gradcheck.json")) as { params: number; checks: [number, number, number][] };
        assert.equal(params, hidden === 0 ? 5 * 3 + 3 : 5 * 4 + 4 + 4 * 3 + 3);
        assert.equal(checks.length, params);
        let largest = 0;
        for (const [index, analytic, numeric] of checks) {
          largest = Math.max(largest, Math.abs(analytic));
          assert.ok(Math.abs(analytic - numeric) <= 5e-3 * Math.max(1e-2, Math.abs(analytic), Math.abs(numeric)), `parameter ${index}: backward ${analytic}, finite differences ${numeric}`);
        }
        assert.ok(largest > 0.01, "the check saw no gradient at all");
      });
    }
  });

  describe("aggregate", function () {
    it("averaging identical models gives the model back, with the samples summed", async function () {
      const out = await train();
      const mounts = [0, 1, 2].map((i) => ({ mount: `/inputs/u${i}`, hostPath: out }));
      const { outputDir } = await runner.run("aggregate", mounts.flatMap((m) => ["--model", m.mount]), mounts);
      const original = decodeModel(await read(out, "model.bin"));
      const averaged = decodeModel(await read(outputDir, "model.bin"));
      assert.deepEqual(averaged.params, original.params);
      assert.equal(averaged.samples, 900n);
      assert.deepEqual((await json(outputDir)).weights, [300, 300, 300]);
    });

    it("weights each model by its samples (FedAvg), summing in f64", async function () {
      const base = { kind: "softmax", inputs: 3, hidden: 0, classes: 2 } as const;
      const a: Model = { ...base, samples: 300n, params: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]) };
      const b: Model = { ...base, samples: 100n, params: Float32Array.from([0.1, -2, 3.5, 0, 1e-3, 6, -7, 9]) };
      const mounts = [await modelMount(a, "/inputs/a.bin"), await modelMount(b, "/inputs/b.bin")];
      const { outputDir } = await runner.run("aggregate", ["--model", "/inputs/a.bin", "--model", "/inputs/b.bin"], mounts);
      const result = decodeModel(await read(outputDir, "model.bin"));
      const expected = a.params.map((x, i) => Math.fround((300 * x + 100 * b.params[i]!) / 400));
      assert.deepEqual(result.params, expected);
      assert.equal(result.samples, 400n);
    });
  });

  describe("evaluate and infer", function () {
    it("agree: the accuracy and confusion matrix of evaluate match infer's predictions", async function () {
      const model = await train(["--epochs", "3"]);
      const modelInput = { mount: "/inputs/model", hostPath: model };
      const evaluation = await json((await runner.run("evaluate", ["--shard", "/inputs/test", "--model", "/inputs/model"], [test, modelInput])).outputDir);
      const inferred = (await runner.run("infer", ["--shard", "/inputs/test", "--model", "/inputs/model"], [test, modelInput])).outputDir;
      const csv = (await readFile(join(inferred, "predictions.csv"), "utf8")).trim().split("\n");
      const binary = await read(inferred, "predictions.bin");
      assert.equal(csv[0], "row,label");
      assert.equal(csv.length, 201);
      assert.equal(binary.length, 200);
      const labels = split.test.labels;
      let correct = 0;
      const confusion = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
      csv.slice(1).forEach((line, r) => {
        const [row, label] = line.split(",").map(Number);
        assert.equal(row, r);
        assert.equal(label, binary[r]);
        if (label === labels[r]) correct++;
        confusion[labels[r]!]![label!]!++;
      });
      assert.equal(evaluation.rows, 200);
      assert.equal(evaluation.correct, correct);
      assert.deepEqual(evaluation.confusion, confusion);
      assert.equal(evaluation.accuracy, correct / 200);
      assert.ok(evaluation.accuracy > 0.6, `accuracy ${evaluation.accuracy} after 3 epochs on 300 digits`);
      assert.ok(evaluation.loss > 0);
    });

    it("infer reads an unlabelled rows file (classes 0)", async function () {
      const model = await train();
      const rows: Shard = { ...split.test, classes: 0, labels: new Uint8Array(0) };
      const input = await shardMount(rows, "/inputs/rows");
      const { outputDir } = await runner.run("infer", ["--shard", "/inputs/rows", "--model", "/inputs/model"], [input, { mount: "/inputs/model", hostPath: model }]);
      assert.equal((await read(outputDir, "predictions.bin")).length, 200);
    });
  });

  describe("bad input fails the run with its reason (deterministic, one line, exit 1)", function () {
    const shard = syntheticShard(4, 3, 2);
    const cases: [string, (b: Uint8Array, v: DataView) => Uint8Array | void, RegExp][] = [
      ["a bad magic", (b) => void (b[0] = 0x58), /bad magic/],
      ["an unsupported version", (_, v) => v.setUint16(4, 2, true), /unsupported version 2/],
      ["wrong dimensions (0 features)", (_, v) => v.setUint32(12, 0, true), /wrong dimensions: 0 features/],
      ["a label out of range", (b) => void (b[b.length - 1] = 7), /label 7 of row 3 is out of range/],
      ["truncated rows", (b) => b.subarray(0, b.length - 5), /truncated rows/],
      ["a truncated header", (b) => b.subarray(0, 10), /truncated header/],
      ["a NaN feature", (_, v) => v.setFloat32(20, Number.NaN, true), /feature 0 of row 0 is not a finite number/],
    ];
    for (const [what, edit, reason] of cases) {
      it(`a shard with ${what}`, async function () {
        const input = await fileMount("/inputs/shard", shardBytes(shard, edit));
        await fails("train", ["--shard", "/inputs/shard"], [input], reason);
      });
    }

    it("a model whose shape does not match the shard", async function () {
      const model = await modelMount({ kind: "softmax", inputs: 3, hidden: 0, classes: 2, samples: 1n, params: new Float32Array(8) });
      await fails("evaluate", ["--shard", "/inputs/test", "--model", "/inputs/model.bin"], [test, model], /takes 3 inputs, the shard has 784 features/);
      const mnistModel = await modelMount({ kind: "softmax", inputs: 784, hidden: 0, classes: 3, samples: 1n, params: new Float32Array(784 * 3 + 3) });
      await fails("train", ["--shard", "/inputs/shard", "--model", "/inputs/model.bin"], [shard0, mnistModel], /has 3 classes, the shard has 10/);
    });

    for (const [what, value, reason] of [["NaN", Number.NaN, /parameter 2 is NaN/], ["Inf", Number.POSITIVE_INFINITY, /parameter 2 is infinite/]] as const) {
      it(`a model with ${what} in it`, async function () {
        const bytes = encodeModel({ kind: "softmax", inputs: 784, hidden: 0, classes: 10, samples: 1n, params: new Float32Array(7850) });
        new DataView(bytes.buffer).setFloat32(32 + 8, value, true);
        const model = await fileMount("/inputs/model.bin", bytes);
        await fails("infer", ["--shard", "/inputs/test", "--model", "/inputs/model.bin"], [test, model], reason);
        await fails("train", ["--shard", "/inputs/shard", "--model", "/inputs/model.bin"], [shard0, model], reason);
      });
    }

    it("a model file of the wrong length or kind", async function () {
      const bytes = encodeModel({ kind: "softmax", inputs: 784, hidden: 0, classes: 10, samples: 1n, params: new Float32Array(7850) });
      await fails("infer", ["--shard", "/inputs/test", "--model", "/inputs/m"], [test, await fileMount("/inputs/m", bytes.subarray(0, 100))], /100 bytes, but its shape needs 31432 \(truncated\)/);
      bytes[6] = 9;
      await fails("infer", ["--shard", "/inputs/test", "--model", "/inputs/m"], [test, await fileMount("/inputs/m", bytes)], /unknown kind 9/);
    });

    it("aggregating models of different shapes", async function () {
      const a = await modelMount({ kind: "softmax", inputs: 3, hidden: 0, classes: 2, samples: 1n, params: new Float32Array(8) }, "/inputs/a.bin");
      const b = await modelMount({ kind: "mlp", inputs: 3, hidden: 2, classes: 2, samples: 1n, params: new Float32Array(3 * 2 + 2 + 2 * 2 + 2) }, "/inputs/b.bin");
      await fails("aggregate", ["--model", "/inputs/a.bin", "--model", "/inputs/b.bin"], [a, b], /different shapes: \/inputs\/b.bin is mlp 3-2-2, the first is softmax 3-2/);
    });

    it("missing inputs, unknown options and bad values", async function () {
      await fails("train", [], [], /--shard is required/);
      await fails("train", ["--shard", "/inputs/nothing"], [], /shard \/inputs\/nothing does not exist/);
      await fails("train", ["--shard", "/inputs/shard", "--epochs", "0"], [shard0], /--epochs must be between 1 and 1000, got 0/);
      await fails("train", ["--shard", "/inputs/shard", "--lr", "1e-3"], [shard0], /--lr must be a decimal number/);
      await fails("train", ["--shard", "/inputs/shard", "--bogus", "1"], [shard0], /unknown option --bogus/);
      await fails("train", ["--shard", "/inputs/shard", "--hidden", "8", "--model", "/inputs/model"], [shard0, { mount: "/inputs/model", hostPath: await train() }], /--hidden 8 does not match the starting model's 16 hidden units/);
      await fails("aggregate", [], [], /--model is required/);
    });

    it("training that diverges fails instead of writing a non-finite model", async function () {
      const huge = syntheticShard(8, 3, 2);
      huge.data = huge.data.map((v) => v * 1e30);
      await fails("train", ["--shard", "/inputs/shard", "--hidden", "4", "--lr", "1", "--epochs", "3"], [await shardMount(huge)], /training diverged in epoch \d \(loss is not finite\); lower --lr/);
    });
  });
});
