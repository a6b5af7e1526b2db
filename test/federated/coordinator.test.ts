// The FederatedAveraging coordinator through whole runs with three real agents on a local chain.
// The contract does not care what the modules compute, so these runs use the wordfreq module as
// "training", "aggregation" and "evaluation": each step's output is checked against what it must
// be given the step's inputs, which proves the contract wired every job to the right inputs.
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { type Address, parseEther, parseEventLogs, zeroAddress } from "viem";
import { startAgent, type Agent } from "../../agent/src/agent.js";
import { loadConfig } from "../../agent/src/config/config.js";
import { createLogger } from "../../agent/src/context.js";
import {
  advanceFederatedRun,
  claimSlot,
  federatedAveragingAbi,
  getFederatedRun,
  getJob,
  jobMarketAbi,
  pieceCid,
  registerProvider,
  resultCidBytes,
  specTemplate,
  fillTemplate,
  startFederatedRun,
  templateHole,
  toPieceRef,
  InvalidSpecTemplateError,
  decodeSpec,
  type SpecInput,
} from "../../sdk/src/index.js";
import { fetchResult } from "../../sdk/src/node.js";
import { deployArtifact } from "../../scripts/lib/deploy-viem.js";
import { KEYS, startLocalChain } from "../helpers/localChain.js";

const WORDFREQ = new URL("../../examples/wasm/wordfreq.wasm", import.meta.url);

function countWords(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) counts[word] = (counts[word] ?? 0) + 1;
  return counts;
}

describe("FederatedAveraging: a contract runs federated rounds through the market", function () {
  this.timeout(300_000);
  let chain: Awaited<ReturnType<typeof startLocalChain>>;
  let coordinator: Address;
  const agents: Agent[] = [];
  let dir: string;
  let moduleCid: string;
  const text = ["alpha beta beta gamma 1\n", "beta delta delta epsilon 2\n", "gamma zeta zeta eta 3\n", "test words alpha zeta 4\n", "late shard omega 5\n"].map(
    (t) => t.repeat(8),
  );
  const pieces = text.map((t) => pieceCid(new TextEncoder().encode(t)));
  const [s0, s1, s2, test, late] = pieces as [typeof pieces[0], typeof pieces[0], typeof pieces[0], typeof pieces[0], typeof pieces[0]];
  const terms = { replicas: 2, quorum: 2, price: parseEther("0.01"), collateral: parseEther("0.1"), ttl: 600, commitWindow: 120, revealWindow: 120 };

  const wasm = (inputs: SpecInput["inputs"]): SpecInput => ({
    version: 1, engine: { type: "wasm", module: moduleCid, args: [] }, inputs, resources: { cpu: 1, memoryMb: 64, timeoutSec: 30 },
  });
  const specsFor = (shards: (typeof pieces)[number][]) => ({
    trainFirst: shards.map((s) => wasm([{ piece: s.v2, mount: "/inputs/shard" }])),
    trainNext: shards.map((s) => wasm([{ job: templateHole(0), mount: "/inputs/model" }, { piece: s.v2, mount: "/inputs/shard" }])),
    aggregate: wasm(shards.map((_, i) => ({ job: templateHole(i), mount: `/inputs/u${i}` }))),
    evaluate: wasm([{ job: templateHole(0), mount: "/inputs/model" }, { piece: test.v2, mount: "/inputs/test" }]),
  });
  const refs = (shards: (typeof pieces)[number][]) => shards.map((s) => toPieceRef({ piece: s.v2 }));

  before(async function () {
    chain = await startLocalChain();
    coordinator = await deployArtifact(chain.wallet(0), chain.publicClient, "contracts/ml/FederatedAveraging.sol/FederatedAveraging.json", [chain.market]);
    dir = await mkdtemp(join(tmpdir(), "shoal-fedavg-"));
    const bytes = await readFile(WORDFREQ);
    moduleCid = CID.create(1, raw.code, await sha256.digest(bytes)).toString();
    await mkdir(join(dir, "modules"));
    await copyFile(WORDFREQ, join(dir, "modules", `${moduleCid}.wasm`));
    // Each training shard is stored by two of the three providers, the test shard by all: a step
    // runs only where its data lies (the agents read pieces from their own stores only).
    const stores: Record<number, (typeof pieces)[number][]> = { 2: [s0, s1, test], 3: [s1, s2, test], 4: [s0, s2, test] };
    for (const i of [2, 3, 4]) {
      await mkdir(join(dir, `pieces${i}`));
      for (const p of stores[i]!) await writeFile(join(dir, `pieces${i}`, p.v2), text[pieces.indexOf(p)]!);
      process.env[`SHOAL_TEST_KEY_${i}`] = KEYS[i];
      const config = loadConfig({
        env: {},
        flags: {
          "chain.rpcUrls": [chain.rpcUrl], "chain.market": chain.market, "chain.registry": chain.registry, "chain.pollIntervalMs": 100,
          "keys.privateKeyEnv": `SHOAL_TEST_KEY_${i}`, "engines.wasm.moduleDir": join(dir, "modules"), "data.pieceDir": join(dir, `pieces${i}`),
          stateDir: join(dir, `agent${i}`), "results.dir": join(dir, `agent${i}`, "results"), "gateway.port": 0, logLevel: "silent",
          "policy.safetyMarginSec": 5,
        },
      });
      const agent = await startAgent(config, { logger: createLogger("silent") });
      agents.push(agent);
      await registerProvider(chain.wallet(i), {
        registry: chain.registry, stake: parseEther("10"), gatewayUrl: agent.gateway.url, capabilities: { engines: 1, cpus: 4, memoryMb: 4096, gpus: 0 },
      });
    }
  });

  after(async function () {
    for (const a of agents) await a.stop().catch(() => {});
    await chain?.close();
  });

  async function download(jobId: bigint, name: string): Promise<string> {
    const out = join(dir, `dl-${name}-${jobId}`);
    await fetchResult(chain.publicClient, { jobId, outDir: out, market: chain.market });
    return readFile(join(out, "wordfreq.json"), "utf8");
  }

  /** Calls advance as `keeper` until the run ends; measures the callback's gas on each job still open. */
  async function drive(runId: bigint, keeper: number, callbackGas: Map<string, bigint>) {
    for (let t = 0; t < 1200; t++) {
      const { ended } = await advanceFederatedRun(chain.wallet(keeper), { coordinator, runId });
      if (ended) return;
      for (const round of (await getFederatedRun(chain.publicClient, { coordinator, runId })).history) {
        for (const [kind, jobId] of [["train", round.trainJobs[0]], ["aggregate", round.aggregateJob], ["evaluate", round.evaluateJob]] as const) {
          if (jobId === undefined || (await getJob(chain.publicClient, { jobId, market: chain.market })).status !== "Open") continue;
          // What the market's callback would cost now, with a real 36-byte result CID.
          const gas = await chain.publicClient.estimateContractGas({
            address: coordinator, abi: federatedAveragingAbi, functionName: "onShoalResult", account: chain.market,
            args: [jobId, resultCidBytes("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi")],
          });
          callbackGas.set(kind, gas > (callbackGas.get(kind) ?? 0n) ? gas : callbackGas.get(kind)!);
        }
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    assert.fail(`run ${runId} did not end`);
  }

  it("runs two rounds: training on each shard where it lies, aggregation of the round's updates, evaluation; records every CID, refunds the rest", async function () {
    const owner = chain.wallet(1);
    const keeper = 5;
    const tip = parseEther("0.001");
    const { runId, budget, firstJobs } = await startFederatedRun(owner, {
      coordinator, shards: refs([s0, s1, s2]), testShard: toPieceRef({ piece: test.v2 }), locality: false, rounds: 2, terms, tip, specs: specsFor([s0, s1, s2]),
    });
    assert.equal(firstJobs.length, 3);
    const callbackGas = new Map<string, bigint>();
    await drive(runId, keeper, callbackGas);

    const run = await getFederatedRun(chain.publicClient, { coordinator, runId });
    assert.equal(run.phase, "Done");
    assert.equal(run.history.length, 2);
    for (const round of run.history) {
      assert.equal(round.trainJobs.length, 3);
      assert.equal(round.modelCid, (await getJob(chain.publicClient, { jobId: round.aggregateJob!, market: chain.market })).resultCid);
      assert.equal(round.metricsCid, (await getJob(chain.publicClient, { jobId: round.evaluateJob!, market: chain.market })).resultCid);
    }
    // Each step ran over exactly the inputs the contract wired to it.
    const [r0, r1] = run.history as [(typeof run.history)[0], (typeof run.history)[0]];
    const shardText = [text[0]!, text[1]!, text[2]!];
    const train0 = await Promise.all(r0.trainJobs.map((id, i) => download(id, `t0${i}`)));
    train0.forEach((json, i) => assert.deepEqual(JSON.parse(json).words, countWords(shardText[i]!)));
    const agg0 = await download(r0.aggregateJob!, "a0");
    assert.deepEqual(JSON.parse(agg0).words, countWords(train0.join("\n")));
    const train1 = await Promise.all(r1.trainJobs.map((id, i) => download(id, `t1${i}`)));
    train1.forEach((json, i) => assert.deepEqual(JSON.parse(json).words, countWords(`${agg0}\n${shardText[i]}`), `round 1 shard ${i} starts from round 0's model`));
    const agg1 = await download(r1.aggregateJob!, "a1");
    assert.deepEqual(JSON.parse(await download(r1.evaluateJob!, "e1")).words, countWords(`${agg1}\n${text[3]}`));

    // Money: what the jobs paid, the tips and the owner's refund add up to the budget; nothing stays in the contract.
    const feeBps = BigInt(await chain.publicClient.readContract({ address: chain.market, abi: jobMarketAbi, functionName: "feeBps" }));
    const jobs = run.history.flatMap((r) => [...r.trainJobs, r.aggregateJob!, r.evaluateJob!]);
    let paid = 0n;
    for (const jobId of jobs) {
      const job = await getJob(chain.publicClient, { jobId, market: chain.market });
      assert.equal(job.status, "Settled");
      const work = BigInt(job.winners.length) * job.price;
      paid += work + (work * feeBps) / 10_000n;
      assert.equal(await chain.publicClient.readContract({ address: chain.market, abi: jobMarketAbi, functionName: "owed", args: [jobId, coordinator] }), 0n, `refund of job ${jobId} collected`);
    }
    const read = (fn: "owed", who: Address) => chain.publicClient.readContract({ address: coordinator, abi: federatedAveragingAbi, functionName: fn, args: [who] });
    const refund = await read("owed", owner.account.address);
    const tips = await read("owed", chain.wallet(keeper).account.address);
    assert.ok(tips > 0n && tips % tip === 0n);
    assert.equal(paid + tips + refund, budget);
    assert.equal(await chain.publicClient.getBalance({ address: coordinator }), refund + tips);

    // Every result reached the contract through the market's callback, within its gas limit.
    const logs = await chain.publicClient.getContractEvents({ address: chain.market, abi: jobMarketAbi, eventName: "CallbackCalled", fromBlock: 0n });
    const called = logs.filter((l) => jobs.includes(l.args.jobId!));
    assert.equal(called.length, jobs.length);
    assert.ok(called.every((l) => l.args.success));
    console.log(`      figure: callback gas (estimate, worst open job) ${[...callbackGas].map(([k, g]) => `${k} ${g}`).join(", ")}; limit given 150000`);
    for (const gas of callbackGas.values()) assert.ok(gas < 150_000n);
    console.log(`      figure: ${jobs.length} jobs, budget ${budget}, paid ${paid}, tips ${tips}, refunded ${refund} (attoFIL)`);
  });

  it("re-posts a step whose job expired (attempt 2 runs once its shard arrives); a step out of attempts fails the run with the whole rest refunded", async function () {
    const owner = chain.wallet(1);
    const rpc = (method: string, params: unknown[]) => chain.publicClient.request({ method: method as never, params: params as never });
    const oneRound = { coordinator, testShard: toPieceRef({ piece: test.v2 }), locality: false, rounds: 1, terms, specs: specsFor([late]), shards: refs([late]) };
    const { runId: retried } = await startFederatedRun(owner, { ...oneRound, maxAttempts: 3 });
    const { runId: doomed, budget: doomedBudget } = await startFederatedRun(owner, { ...oneRound, maxAttempts: 1 });
    const first = (await getFederatedRun(chain.publicClient, { coordinator, runId: retried })).history[0]!.trainJobs[0]!;
    // Nobody stores the late shard yet: every agent refuses the job.
    for (let t = 0; t < 100 && !agents.every((a) => a.store.job(first)?.state === "refused"); t++) await new Promise((r) => setTimeout(r, 100));
    assert.match(agents[0]!.store.job(first)!.reason!, /input_missing/);

    // Meanwhile the shard arrives at two providers (they refused the first post, which is final).
    for (const i of [0, 1]) await writeFile(join(dir, `pieces${i + 2}`, late.v2), text[4]!);
    await rpc("evm_increaseTime", [terms.ttl + 1]);
    await rpc("evm_mine", []);
    const before = await chain.publicClient.getBalance({ address: coordinator });
    const { posted, hash } = await advanceFederatedRun(owner, { coordinator, runId: retried });
    assert.equal(posted.length, 1);
    const receipt = await chain.publicClient.getTransactionReceipt({ hash });
    const events = parseEventLogs({ abi: federatedAveragingAbi, logs: receipt.logs });
    assert.ok(events.some((e) => e.eventName === "StepFailed" && e.args.jobId === first && e.args.status === 4), "expired and reported");
    const [, , , , attempt] = await chain.publicClient.readContract({ address: coordinator, abi: federatedAveragingAbi, functionName: "stepOf", args: [posted[0]!] });
    assert.equal(attempt, 2n);
    assert.equal(await chain.publicClient.getBalance({ address: coordinator }), before, "the expired job's escrow came back and paid the re-post");

    const { ended } = await advanceFederatedRun(owner, { coordinator, runId: doomed });
    assert.ok(ended);
    const doomedRun = await getFederatedRun(chain.publicClient, { coordinator, runId: doomed });
    assert.equal(doomedRun.phase, "Failed");

    // The re-posted job runs (the shard arrived before it was posted) and the run completes.
    await drive(retried, 1, new Map());
    const done = await getFederatedRun(chain.publicClient, { coordinator, runId: retried });
    assert.equal(done.phase, "Done");
    assert.equal(done.history[0]!.trainJobs[0], posted[0]);
    assert.deepEqual(JSON.parse(await download(posted[0]!, "late")).words, countWords(text[4]!));
    assert.equal(doomedBudget > 0n, true);
    const owed = await chain.publicClient.readContract({ address: coordinator, abi: federatedAveragingAbi, functionName: "owed", args: [owner.account.address] });
    assert.ok(owed >= doomedBudget, "the failed run's whole budget is owed back (its only job expired: full escrow returned)");
    const balance = await chain.publicClient.getBalance({ address: coordinator });
    await owner.writeContract({ address: coordinator, abi: federatedAveragingAbi, functionName: "withdraw" });
    assert.equal(await chain.publicClient.getBalance({ address: coordinator }), balance - owed);
  });

  it("a silent claimant stalls a training job: it expires, its claimant is slashed, and the re-post settles without it", async function () {
    const owner = chain.wallet(1);
    const silent = chain.wallet(5);
    const rpc = (method: string, params: unknown[]) => chain.publicClient.request({ method: method as never, params: params as never });
    await registerProvider(silent, { registry: chain.registry, stake: parseEther("10"), gatewayUrl: "http://127.0.0.1:9", capabilities: { engines: 1, cpus: 4, memoryMb: 4096, gpus: 0 } });
    const quiet = pieceCid(new TextEncoder().encode("a shard only one provider holds at first, stalled by a silent claimant\n".repeat(4)));
    await writeFile(join(dir, "pieces2", quiet.v2), "a shard only one provider holds at first, stalled by a silent claimant\n".repeat(4));
    const { runId } = await startFederatedRun(owner, {
      coordinator, shards: refs([quiet]), testShard: toPieceRef({ piece: test.v2 }), locality: false, rounds: 1, maxAttempts: 2, terms, specs: specsFor([quiet]),
    });
    const first = (await getFederatedRun(chain.publicClient, { coordinator, runId })).history[0]!.trainJobs[0]!;
    // The silent provider takes whichever slot is next free, racing provider 2 for it, and then never commits.
    for (let t = 0; ; t++) {
      const { claimed } = await getJob(chain.publicClient, { jobId: first, market: chain.market });
      try {
        await claimSlot(silent, { jobId: first, slot: claimed, market: chain.market });
        break;
      } catch (error) {
        if (t > 20) throw error;
      }
    }
    for (let t = 0; t < 100 && agents[0]!.store.job(first)?.state !== "committed"; t++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(agents[0]!.store.job(first)?.state, "committed", "provider 2 ran and committed; the quorum of 2 waits for the silent slot");

    // A second provider gets the shard before the re-post: written after it, provider 4's agent may
    // see the new job first and refuse it (input_missing, final), and the re-post could not settle.
    await writeFile(join(dir, "pieces4", quiet.v2), "a shard only one provider holds at first, stalled by a silent claimant\n".repeat(4));
    await rpc("evm_increaseTime", [terms.ttl + 1]);
    await rpc("evm_mine", []);
    const { posted, hash } = await advanceFederatedRun(owner, { coordinator, runId });
    assert.equal(posted.length, 1);
    const receipt = await chain.publicClient.getTransactionReceipt({ hash });
    const expired = parseEventLogs({ abi: jobMarketAbi, logs: receipt.logs, eventName: "JobExpired" });
    const silentSlot = (await chain.publicClient.readContract({ address: chain.market, abi: jobMarketAbi, functionName: "getSlot", args: [first, 0n] })).provider === silent.account.address ? 0 : 1;
    assert.equal(expired.length, 1);
    assert.equal(expired[0]!.args.slashedMask, 1 << silentSlot, "the silent claimant, and only it, is slashed");

    // The re-post settles with providers 2 and 4.
    await drive(runId, 1, new Map());
    const run = await getFederatedRun(chain.publicClient, { coordinator, runId });
    assert.equal(run.phase, "Done");
    assert.equal(run.history[0]!.trainJobs[0], posted[0]);
    const settled = await getJob(chain.publicClient, { jobId: posted[0]!, market: chain.market });
    assert.equal(settled.status, "Settled");
  });

  it("refuses bad runs and strangers with specific errors", async function () {
    const owner = chain.wallet(1);
    const base = { coordinator, shards: refs([s0]), testShard: toPieceRef({ piece: test.v2 }), locality: false, rounds: 1, terms, specs: specsFor([s0]) };
    await assert.rejects(startFederatedRun(owner, { ...base, rounds: 0 }), /InvalidShape/);
    await assert.rejects(startFederatedRun(owner, { ...base, maxAttempts: 0 }), /InvalidShape/);
    await assert.rejects(startFederatedRun(owner, { ...base, budget: 1n }), /BudgetTooLow/);
    await assert.rejects(startFederatedRun(owner, { ...base, terms: { ...terms, collateral: 1n } }), /CollateralTooLow/);
    await assert.rejects(
      owner.writeContract({ address: coordinator, abi: federatedAveragingAbi, functionName: "onShoalResult", args: [1n, "0x01"] }),
      /Unauthorized/,
    );
    await assert.rejects(advanceFederatedRun(owner, { coordinator, runId: 999n }), /UnknownRun/);
    await assert.rejects(owner.sendTransaction({ to: coordinator, value: 1n }), /Unauthorized|reverted/);
    assert.notEqual(zeroAddress, coordinator);
  });

  it("cuts spec templates at their holes so the filled bytes are the canonical spec with those job IDs", function () {
    const spec = wasm([{ job: templateHole(0), mount: "/inputs/a" }, { job: templateHole(1), mount: "/inputs/b" }]);
    const parts = specTemplate(spec, 2);
    assert.equal(parts.length, 3);
    const filled = fillTemplate(parts, [42n, 7n]);
    // decodeSpec accepts only canonical bytes: the filled template is exactly encodeSpec's output.
    assert.deepEqual(decodeSpec(new TextEncoder().encode(filled)).inputs.map((i) => i.job), ["42", "7"]);
    assert.match(filled, /"job":"42","locality":false,"mount":"\/inputs\/a"/);
    assert.throws(() => specTemplate(spec, 1), (e: unknown) => e instanceof InvalidSpecTemplateError && /more holes than 1/.test(e.message));
    assert.throws(() => specTemplate(spec, 3), (e: unknown) => e instanceof InvalidSpecTemplateError && /hole 2/.test(e.message));
    const swapped = wasm([{ job: templateHole(1), mount: "/inputs/a" }, { job: templateHole(0), mount: "/inputs/b" }]);
    assert.throws(() => specTemplate(swapped, 2), (e: unknown) => e instanceof InvalidSpecTemplateError && /comes before/.test(e.message));
  });
});
