import assert from "node:assert/strict";
import type { JobEvent } from "@shoal/sdk";
import { inlineKind, parseCsv, quorumProgress, slotTimelines } from "../../app/src/lib/timeline.js";
import { parseRoute } from "../../app/src/lib/router.js";
import { parseRuntimeConfig } from "../../app/src/lib/runtimeConfig.js";

const A = "0x00000000000000000000000000000000000000aa";
const B = "0x00000000000000000000000000000000000000bb";
const C = "0x00000000000000000000000000000000000000cc";
let n = 0;
const at = () => ({ blockNumber: BigInt(++n), transactionHash: `0x${n.toString(16).padStart(64, "0")}` as const });

describe("dapp: job timeline, routes, runtime config", function () {
  it("folds events into one timeline per slot: claimed, reopened, committed, revealed, slashed", function () {
    const events: JobEvent[] = [
      { type: "posted", ...at() },
      { type: "claimed", slot: 0, provider: A, ...at() },
      { type: "claimed", slot: 1, provider: B, ...at() },
      { type: "reopened", slot: 1, previous: B, ...at() },
      { type: "claimed", slot: 1, provider: C, ...at() },
      { type: "committed", slot: 0, provider: A, ...at() },
      { type: "committed", slot: 1, provider: C, ...at() },
      { type: "quorum", revealDeadline: 100n, ...at() },
      { type: "revealed", slot: 0, provider: A, resultCid: "0x01", ...at() },
      { type: "finalized", status: 3, resultCid: "0x01", winnersMask: 0b001, slashedMask: 0b010, ...at() },
    ];
    const slots = slotTimelines(3, events);
    assert.deepEqual(slots.map((s) => s.state), ["revealed", "slashed", "open"]);
    assert.deepEqual(slots[1]!.steps.map((s) => s.kind), ["claimed", "reopened", "claimed", "committed", "slashed"]);
    assert.equal(slots[1]!.steps[1]!.provider, B);
    assert.deepEqual(slots[0]!.steps.map((s) => s.kind), ["claimed", "committed", "revealed", "paid"]);
    assert.deepEqual(slotTimelines(2, events.slice(0, 4)).map((s) => s.state), ["claimed", "reopened"]);
    assert.deepEqual(quorumProgress(events), { commits: 2, reveals: 1, reached: true });
  });

  it("shows text, JSON and CSV inline and binary as a download", function () {
    const enc = (s: string) => new TextEncoder().encode(s);
    assert.equal(inlineKind("out/a.json", enc("{}")), "json");
    assert.equal(inlineKind("a.CSV", enc("a,b")), "csv");
    assert.equal(inlineKind("notes", enc("héllo")), "text");
    assert.equal(inlineKind("model.bin", new Uint8Array([0, 159, 146, 150])), undefined);
    assert.equal(inlineKind("zeros.txt", new Uint8Array(4)), undefined);
    assert.deepEqual(parseCsv('a,"b,c",d\n1,"say ""hi""",\n'), [["a", "b,c", "d"], ["1", 'say "hi"', ""]]);
  });

  it("parses the hash routes", function () {
    assert.deepEqual(parseRoute(""), { page: "home" });
    assert.deepEqual(parseRoute("#/jobs/new"), { page: "newJob" });
    assert.deepEqual(parseRoute("#/jobs/42"), { page: "job", jobId: 42n });
    assert.deepEqual(parseRoute("#/training/0x9A9f2CCfdE556A7E9Ff0848998Aa4a0CFD8863AE"), { page: "training", coordinator: "0x9A9f2CCfdE556A7E9Ff0848998Aa4a0CFD8863AE" });
    assert.equal(parseRoute("#/jobs/abc").page, "notFound");
    assert.equal(parseRoute("#/training/0x12").page, "notFound");
  });

  it("reads shoal.config.json, naming the first bad member", function () {
    const chain = { id: 31337, name: "Local", rpcUrl: "http://127.0.0.1:8545", market: A, registry: B, federated: [C] };
    assert.deepEqual(parseRuntimeConfig({ chains: [chain] }).chains[0], chain);
    assert.equal(parseRuntimeConfig({ chains: [{ ...chain, name: undefined }] }).chains[0]!.name, "Chain 31337");
    assert.throws(() => parseRuntimeConfig({}), /`chains` array/);
    assert.throws(() => parseRuntimeConfig({ chains: [{ ...chain, market: "0x12" }] }), /chains\[0\]\.market must be an address/);
    assert.throws(() => parseRuntimeConfig({ chains: [{ ...chain, rpcUrl: "ws://x" }] }), /rpcUrl/);
    assert.throws(() => parseRuntimeConfig({ chains: [{ ...chain, federated: ["nope"] }] }), /federated/);
    assert.equal(parseRuntimeConfig({ chains: [{ ...chain, wsUrl: "wss://node.example/rpc/v1" }] }).chains[0]!.wsUrl, "wss://node.example/rpc/v1");
    assert.throws(() => parseRuntimeConfig({ chains: [{ ...chain, wsUrl: "http://127.0.0.1:8545" }] }), /chains\[0\]\.wsUrl must be a ws\(s\) URL/);
  });
});
