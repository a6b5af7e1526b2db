import assert from "node:assert/strict";
import { parseEther } from "viem";
import { DEFAULT_VALUES, escrowOf, fieldOfPath, type JobFormValues, splitArgs, validateJobForm } from "../../app/src/lib/jobForm.js";

// The dapp's new-job form rules, without a browser: every broken rule lands on its own field
// (the field-<name>-error the page shows), and a valid form gives the spec and market values
// submitJob takes.

const MODULE = "bafkreic2bmdt2awdxrx5vmmp2lakcs454sc3cyc5f4obzwrssrkpxa7fzi";
const PIECE = "bafkzcibduyban6ekani7gwi4fpx4ui5fzfgnbmhv7nnhnqvxjc7oei5zahijcfy4";
const valid: JobFormValues = { ...DEFAULT_VALUES, input: "piece", piece: PIECE, module: MODULE, mount: "/inputs/log.txt" };

describe("dapp: new-job form rules", function () {
  it("builds the spec and the market values from a valid form", function () {
    const r = validateJobForm({ ...valid, args: `--top 5 "two words"` });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    assert.equal(r.spec.engine.type, "wasm");
    assert.deepEqual(r.spec.engine.args, ["--top", "5", "two words"]);
    assert.deepEqual(r.spec.inputs, [{ piece: PIECE, mount: "/inputs/log.txt", locality: true }]);
    assert.deepEqual([r.replicas, r.quorum, r.price, r.commitWindow, r.revealWindow], [3, 2, parseEther("0.1"), 600, 600]);
  });

  it("puts each broken spec rule next to its field, from the SDK's InvalidSpecError", function () {
    const r = validateJobForm({ ...valid, module: "not-a-cid", cpus: "0", memoryMb: "lots", mount: "relative/path", piece: "bafy-nope" });
    assert.ok(!r.ok);
    assert.deepEqual(Object.keys(r.errors).sort(), ["cpus", "memoryMb", "module", "mount", "piece"]);
    for (const message of Object.values(r.errors)) assert.match(message!, /^[A-Z].*[.)]$/); // one sentence each
  });

  it("refuses a Docker image not pinned by digest, on the image field", function () {
    const r = validateJobForm({ ...valid, engine: "docker", image: "busybox:latest" });
    assert.ok(!r.ok);
    assert.match(r.errors.image!, /digest/);
    assert.ok(validateJobForm({ ...valid, engine: "docker", image: `busybox@sha256:${"a".repeat(64)}` }).ok);
  });

  it("checks the market's limits: replicas, quorum, price and windows", function () {
    const r = validateJobForm({ ...valid, replicas: "17", quorum: "0", price: "0", commitWindow: "59", revealWindow: "2592001" });
    assert.ok(!r.ok);
    assert.deepEqual(Object.keys(r.errors).sort(), ["commitWindow", "price", "quorum", "replicas", "revealWindow"]);
    const over = validateJobForm({ ...valid, replicas: "2", quorum: "3" });
    assert.ok(!over.ok);
    assert.match(over.errors.quorum!, /\(2\)/);
    assert.ok(!validateJobForm({ ...valid, price: "0.1234567890123456789" }).ok); // 19 decimals
    assert.ok(!validateJobForm({ ...valid, price: "-1" }).ok);
  });

  it("asks for the input that is missing: a file still to pick, or a piece CID to paste", function () {
    const file = validateJobForm({ ...valid, input: "file", piece: "" });
    assert.ok(!file.ok);
    assert.ok(file.errors.file && !file.errors.piece);
    const piece = validateJobForm({ ...valid, input: "piece", piece: "" });
    assert.ok(!piece.ok);
    assert.ok(piece.errors.piece && !piece.errors.file);
    assert.ok(validateJobForm({ ...valid, input: "none" }).ok);
  });

  it("maps spec paths to fields", function () {
    assert.equal(fieldOfPath("inputs[3].piece", "file"), "file");
    assert.equal(fieldOfPath("inputs[0].piece", "piece"), "piece");
    assert.equal(fieldOfPath("resources.timeoutSec", "piece"), "timeoutSec");
    assert.equal(fieldOfPath("outputs.path", "piece"), "form");
  });

  it("splits arguments on spaces, quotes grouping", function () {
    assert.deepEqual(splitArgs(` a  'b c' "d e" f `), ["a", "b c", "d e", "f"]);
    assert.deepEqual(splitArgs(""), []);
  });

  it("computes the escrow as submitJob sends it: n × price plus the fee, rounded down", function () {
    assert.deepEqual(escrowOf(3, parseEther("0.1"), 100), { work: parseEther("0.3"), fee: parseEther("0.003"), total: parseEther("0.303") });
    assert.deepEqual(escrowOf(1, 999n, 100), { work: 999n, fee: 9n, total: 1008n });
    assert.equal(escrowOf(16, 1n, 0).total, 16n);
  });
});
