import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { parseEther } from "viem";
import type { Agent } from "../../agent/src/agent.js";
import {
  buildSpec,
  cancelJob,
  InvalidPipelineError,
  InvalidSpecError,
  pieceCid,
  submitJob,
  submitPipeline,
  waitForPipeline,
  type PipelineProgress,
  type PipelineSpecInput,
  type SpecInput,
} from "../../sdk/src/index.js";
import { fetchResult } from "../../sdk/src/node.js";
import { startTestAgent } from "../helpers/agent.js";
import { startLocalChain } from "../helpers/localChain.js";

const WORDFREQ = new URL("../../examples/wasm/wordfreq.wasm", import.meta.url);
const TEXT = "the quick brown fox jumps over the lazy dog\nthe dog sleeps 42 times\n".repeat(10);

/** wordfreq's own rule: a word is a run of ASCII letters and digits, lowercased. */
function countWords(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) counts[word] = (counts[word] ?? 0) + 1;
  return counts;
}

describe("pipelines: jobs that take earlier jobs' results", function () {
  this.timeout(180_000);
  let chain: Awaited<ReturnType<typeof startLocalChain>>;
  const agents: Agent[] = [];
  let dir: string;
  let moduleCid: string;
  let piece: ReturnType<typeof pieceCid>;
  const terms = { price: parseEther("0.01"), commitWindow: 120, revealWindow: 120 } as const;

  before(async function () {
    chain = await startLocalChain();
    dir = await mkdtemp(join(tmpdir(), "shoal-deps-"));
    const bytes = await readFile(WORDFREQ);
    moduleCid = CID.create(1, raw.code, await sha256.digest(bytes)).toString();
    await mkdir(join(dir, "modules"));
    await copyFile(WORDFREQ, join(dir, "modules", `${moduleCid}.wasm`));
    const payload = new TextEncoder().encode(TEXT);
    piece = pieceCid(payload);
    await mkdir(join(dir, "pieces"));
    await writeFile(join(dir, "pieces", piece.v2), payload);
    for (const i of [2, 3, 4]) {
      // Only agent 2 stores the piece: agents 3 and 4 can run the second step only by fetching
      // the first step's result from the gateways of those who revealed it.
      const flags = { "policy.maxCpu": 4, ...(i === 2 ? {} : { "data.pieceDir": undefined }) };
      agents.push(await startTestAgent({ chain, key: i, dir, flags }));
    }
  });

  after(async function () {
    for (const a of agents) await a.stop().catch(() => {});
    await chain?.close();
  });

  const wasm = (inputs: PipelineSpecInput["inputs"]): SpecInput => ({
    version: 1, engine: { type: "wasm", module: moduleCid, args: [] }, inputs: inputs as SpecInput["inputs"], resources: { cpu: 1, memoryMb: 64, timeoutSec: 30 },
  });

  it("a spec input names a job by ID; the spec rules refuse anything else", function () {
    const spec = buildSpec(wasm([{ job: "7", mount: "/inputs/model" }]));
    assert.deepEqual(spec.inputs, [{ job: "7", mount: "/inputs/model", locality: false }]);
    for (const [input, rule] of [
      [{ job: "07", mount: "/inputs/a" }, /inputs\[0\]\.job: must be a job ID as a decimal string/],
      [{ job: "0", mount: "/inputs/a" }, /must be a job ID/],
      [{ job: 7, mount: "/inputs/a" }, /inputs\[0\]\.job/],
      [{ job: "7", cid: "bafkreifsi3tsifo34jkcejrggrrfwuuwdz3ywtl6fqymai7wfbpwoaku24", mount: "/inputs/a" }, /exactly one of piece, cid or job/],
      [{ job: "7", mount: "/inputs/a", locality: true }, /locality: requires a piece input/],
      [{ job: "7", mount: "/inputs/a", size: 128 }, /size: is only allowed with a piece/],
      [{ job: (2n ** 256n).toString(), mount: "/inputs/a" }, /must be below 2\^256/],
    ] as const) {
      assert.throws(() => buildSpec(wasm([input as never])), (e: unknown) => e instanceof InvalidSpecError && rule.test(e.message), JSON.stringify(input));
    }
  });

  it("submitPipeline posts a DAG in dependency order; providers run a step once its input job settles, fetching that result from the winners' gateways", async function () {
    const progress: PipelineProgress[] = [];
    const client = chain.wallet(1);
    // Declared sink first: the order posted is the dependency order, not the declaration order.
    const { jobs, order } = await submitPipeline(client, {
      market: chain.market,
      onProgress: (p) => progress.push(p),
      steps: {
        recount: { spec: wasm([{ step: "count", mount: "/inputs/counted" }]), replicas: 3, quorum: 2, ...terms },
        count: { spec: wasm([{ piece: piece.v2, mount: "/inputs/text.txt" }]), replicas: 1, quorum: 1, ...terms },
      },
    });
    assert.deepEqual(order, ["count", "recount"]);
    assert.ok(jobs.recount! > jobs.count!);
    const results = await waitForPipeline(chain.publicClient, {
      jobs, market: chain.market, timeout: 120_000, pollingInterval: 100, onProgress: (p) => progress.push(p),
    });

    // Step 2 counted the words of step 1's result, byte for byte as step 1 produced it.
    const first = join(dir, "first");
    await fetchResult(chain.publicClient, { jobId: jobs.count!, outDir: first, market: chain.market });
    const firstJson = await readFile(join(first, "wordfreq.json"), "utf8");
    assert.equal(JSON.parse(firstJson).words.dog, 20);
    const second = join(dir, "second");
    await fetchResult(chain.publicClient, { jobId: jobs.recount!, outDir: second, market: chain.market });
    assert.deepEqual(JSON.parse(await readFile(join(second, "wordfreq.json"), "utf8")).words, countWords(firstJson));
    assert.equal(results.recount!.job.winners.length, 2);

    // Nobody claimed step 2 before step 1 settled.
    const settledAt = progress.find((p) => p.step === "count" && p.type === "event" && p.event.type === "finalized");
    const claims = progress.filter((p) => p.step === "recount" && p.type === "event" && p.event.type === "claimed");
    assert.ok(settledAt && settledAt.type === "event");
    assert.ok(claims.length >= 2);
    for (const claim of claims) assert.ok(claim.type === "event" && claim.event.blockNumber > settledAt.event.blockNumber);
    // Agents without the piece ran step 2 from the gateways (agent 2 alone stores the piece).
    const ranRecount = agents.filter((a) => a.store.job(jobs.recount!)?.state === "settled");
    assert.ok(ranRecount.some((a) => a !== agents[0]), "an agent that never held the piece ran the second step");
  });

  it("a job waits while its input job is open, and is refused with the reason once that job is cancelled; a later job ID is refused at once", async function () {
    const client = chain.wallet(1);
    // Nobody takes this one (it asks 8 CPUs; the agents allow 4), so it stays open until cancelled.
    const { jobId: open } = await submitJob(client, {
      spec: { ...wasm([]), resources: { cpu: 8, memoryMb: 64, timeoutSec: 30 } }, replicas: 1, quorum: 1, market: chain.market, ...terms,
    });
    const { jobId: waiting } = await submitJob(client, { spec: wasm([{ job: open.toString(), mount: "/inputs/x" }]), replicas: 1, quorum: 1, market: chain.market, ...terms });
    const { jobId: ahead } = await submitJob(client, { spec: wasm([{ job: (waiting + 100n).toString(), mount: "/inputs/x" }]), replicas: 1, quorum: 1, market: chain.market, ...terms });

    const until = async (what: string, test: () => Promise<boolean> | boolean) => {
      for (let t = 0; t < 200; t++) {
        if (await test()) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.fail(`timed out waiting until ${what}`);
    };
    await until("the later-ID job is refused", () => agents.every((a) => a.store.job(ahead)?.state === "refused"));
    for (const a of agents) assert.match(a.store.job(ahead)!.reason!, new RegExp(`dependency: input job ${waiting + 100n} does not exist before job ${ahead}`));

    await until("every agent waits on the open job", async () =>
      (await Promise.all(agents.map((a) => a.metrics.registry.getSingleMetric("shoal_jobs_waiting_dependency")!.get()))).every((m) => m.values[0]?.value === 1),
    );
    for (const a of agents) assert.equal(a.store.job(waiting)?.state, "seen");

    await cancelJob(client, { jobId: open, market: chain.market });
    // The cancellation event re-evaluates the waiting job at once (its poll is 30 s away).
    await until("the waiting job is refused", () => agents.every((a) => a.store.job(waiting)?.state === "refused"));
    for (const a of agents) {
      assert.equal(a.store.job(waiting)!.reason, `dependency: input job ${open} ended Cancelled: it has no result`);
      assert.match(await a.metrics.registry.getSingleMetricAsString("shoal_jobs_refused_total"), /reason="dependency"\} 2/);
    }
  });

  it("submitPipeline refuses an unknown step, a self-reference or a cycle, and a bad spec, before posting anything", async function () {
    const client = chain.wallet(1);
    const before = await chain.publicClient.getTransactionCount({ address: client.account.address });
    const step = (inputs: never[]) => ({ spec: wasm(inputs), replicas: 1, quorum: 1, ...terms });
    const cases: [Record<string, ReturnType<typeof step>>, RegExp][] = [
      [{ a: step([{ step: "b", mount: "/inputs/x" }] as never[]) }, /step "a" takes the result of "b", which is not a step/],
      [{ a: step([{ step: "a", mount: "/inputs/x" }] as never[]) }, /step "a" takes its own result/],
      [{ a: step([{ step: "b", mount: "/inputs/x" }] as never[]), b: step([{ step: "a", mount: "/inputs/y" }] as never[]) }, /steps "a", "b" form a cycle/],
      [{}, /it has no steps/],
    ];
    for (const [steps, message] of cases) {
      await assert.rejects(submitPipeline(client, { market: chain.market, steps }), (e: unknown) => e instanceof InvalidPipelineError && message.test(e.message));
    }
    await assert.rejects(
      submitPipeline(client, { market: chain.market, steps: { a: step([]), b: step([{ step: "a", mount: "/outputs/x" }] as never[]) } }),
      (e: unknown) => e instanceof InvalidSpecError && /inputs\[0\]\.mount/.test(e.message),
    );
    assert.equal(await chain.publicClient.getTransactionCount({ address: client.account.address }), before);
  });
});
