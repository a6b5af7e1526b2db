import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { pieceCid } from "../../sdk/src/index.js";
import { decodeShard } from "../../sdk/src/ml/index.js";
import { runCli } from "../cli/harness.js";

describe("shoal ml shard", function () {
  this.timeout(120_000);
  let base: string;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), "shoal-ml-cli-"));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it("writes N training shards and a test shard and prints each file's piece CID", async function () {
    const out = join(await mkdtemp(join(base, "run-")), "shards");
    const run = await runCli(["ml", "shard", "--dataset", "mnist", "--shards", "2", "--train-rows", "300", "--test-rows", "100", "--seed", "5", "--out", out]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual((await readdir(out)).sort(), ["shard-0.bin", "shard-1.bin", "test.bin"]);
    const lines = run.stdout.trim().split("\n");
    assert.equal(lines.length, 3);
    for (const [i, name] of ["shard-0.bin", "shard-1.bin", "test.bin"].entries()) {
      const bytes = await readFile(join(out, name));
      const shard = decodeShard(bytes);
      assert.equal(shard.rows, name === "test.bin" ? 100 : 150);
      assert.equal(lines[i], `${join(out, name)}  ${shard.rows} rows, ${new Set(shard.labels).size} labels, ${bytes.length} bytes  ${pieceCid(bytes).v2}`);
    }
  });

  it("--json prints one object with the files, their piece CIDs and padded sizes; --non-iid skews the labels", async function () {
    const out = await mkdtemp(join(base, "run-"));
    const run = await runCli(["ml", "shard", "--dataset", "mnist", "--shards", "3", "--non-iid", "--train-rows", "600", "--test-rows", "60", "--out", out, "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as { split: string; files: { file: string; labels: number; pieceCid: string; paddedSize: string }[] };
    assert.equal(summary.split, "non-iid");
    assert.equal(summary.files.length, 4);
    for (const file of summary.files.slice(0, 3)) assert.ok(file.labels <= 6, `${file.labels} labels`);
    const piece = pieceCid(await readFile(summary.files[0]!.file));
    assert.equal(summary.files[0]!.pieceCid, piece.v2);
    assert.equal(summary.files[0]!.paddedSize, piece.paddedSize.toString());
  });

  it("fails in one line: unknown dataset, a non-empty --out, too many rows, a bad seed", async function () {
    const full = await mkdtemp(join(base, "run-"));
    await writeFile(join(full, "x"), "x");
    const cases: [string[], number, RegExp][] = [
      [["--dataset", "cifar", "--shards", "2", "--out", join(full, "new")], 2, /^shoal: unknown dataset 'cifar' \(available: mnist\)$/],
      [["--dataset", "mnist", "--shards", "2", "--out", full], 2, /^shoal: --out .* is not empty$/],
      [["--dataset", "mnist", "--shards", "2", "--train-rows", "9999", "--out", join(full, "new")], 1, /^shoal: Cannot split the dataset: 2000 test rows and 9999 train rows need 11999, the dataset has 10000\./],
      [["--dataset", "mnist", "--shards", "2", "--seed", "-1", "--out", join(full, "new")], 2, /^shoal: option '--seed <n>' argument '-1' is invalid/],
    ];
    for (const [args, code, pattern] of cases) {
      const run = await runCli(["ml", "shard", ...args]);
      assert.equal(run.code, code, run.stderr);
      assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
      assert.match(run.stderr.trim(), pattern);
    }
  });
});
