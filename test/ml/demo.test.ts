// `npm run demo:ml` at reduced size, as CI runs it: every round settles with all replicas agreeing,
// no shard byte moves between providers, the final model is verified, and no process is left.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const HARDHAT = fileURLToPath(new URL("../../node_modules/hardhat/dist/src/cli.js", import.meta.url));

describe("npm run demo:ml (reduced: 900 training digits, 3 rounds)", function () {
  this.timeout(600_000);

  it("runs the federated rounds, the sweep and the inference, and leaves no process behind", async function () {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("HARDHAT_") && k !== "NODE_OPTIONS") env[k] = v;
    Object.assign(env, { SHOAL_ML_ROUNDS: "3", SHOAL_ML_EPOCHS: "1", SHOAL_ML_HIDDEN: "16", SHOAL_ML_TRAIN_ROWS: "900", SHOAL_ML_TEST_ROWS: "300", SHOAL_ML_SWEEP: "0.3" });
    const child = spawn(process.execPath, [HARDHAT, "run", "scripts/demo-ml.ts"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    assert.equal(code, 0, output);
    const rounds = [...output.matchAll(/round (\d): test accuracy ([\d.]+) %.*shard bytes moved 0; replicas agreeing per job ([\d/]+)/g)];
    assert.deepEqual(rounds.map((m) => m[1]), ["1", "2", "3"], output);
    for (const m of rounds) assert.ok(m[3]!.split("/").every((n) => n === "2"), `every job settled with both replicas: ${m[0]}`);
    assert.match(output, /final model bafy\w+ \(\d+ KiB model\.bin\): downloaded from http:\/\/127\.0\.0\.1:\d+, verified block by block/);
    assert.match(output, /shard bytes moved between providers 0;/);
    assert.match(output, /best: lr 0\.3, model bafy/);
    assert.match(output, /\d+ predictions; [\d.]+ % match the labels/);
    assert.match(output, /Final test accuracy: federated [\d.]+ %/);
    // Nothing of the demo runs on: no live process is left in its process group (a moment is
    // allowed for processes that are exiting; zombies waiting for a parent to reap them are not running).
    const running = () =>
      execFileSync("ps", ["-eo", "pgid=,stat=,args="], { encoding: "utf8" })
        .split("\n")
        .map((line) => line.trim().split(/\s+/))
        .filter(([pgid, stat]) => pgid === String(child.pid) && !stat?.startsWith("Z"))
        .map((fields) => fields.slice(2).join(" "));
    for (let t = 0; t < 50 && running().length > 0; t++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(running(), [], "processes of the demo are still running");
    console.log(`      figure: ${output.match(/Done in [\d.]+ s/)?.[0]}; ${rounds.map((m) => `round ${m[1]} ${m[2]} %`).join(", ")}`);
  });
});
