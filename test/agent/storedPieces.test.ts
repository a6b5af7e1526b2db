/**
 * Locality jobs over pieces the provider stores, through a whole agent on a local chain with the
 * PDP stand-in: the piece is read where it lies (0 bytes copied), a proven piece's job starts
 * while it is verified, a corrupt stored piece fails its job before any result leaves the agent
 * and is never offered again, and the piece directory is left exactly as it was.
 */
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import { parseEther } from "viem";

import type { Agent } from "../../agent/src/agent.js";
import { getJob, pieceCid, type SpecInput, submitJob, waitForResult } from "../../sdk/src/index.js";
import { startTestAgent } from "../helpers/agent.js";
import { startLocalChain } from "../helpers/localChain.js";
import { fingerprint } from "../helpers/pieceDir.js";

const WORDFREQ = new URL("../../examples/wasm/wordfreq.wasm", import.meta.url);


describe("agent: locality jobs over stored pieces", function () {
  this.timeout(180_000);
  let chain: Awaited<ReturnType<typeof startLocalChain>>;
  let agent: Agent;
  let dir: string;
  let moduleCid: string;
  const text = (seed: string) => Buffer.from(`${seed} the quick brown fox jumps over the lazy dog\n`.repeat(8_000));
  const good = pieceCid(text("good"));
  const corruptPayload = text("corrupt");
  const corrupt = pieceCid(corruptPayload);

  before(async function () {
    chain = await startLocalChain({ pdp: true });
    dir = await mkdtemp(join(tmpdir(), "shoal-stored-"));
    const bytes = await readFile(WORDFREQ);
    moduleCid = CID.create(1, raw.code, await sha256.digest(bytes)).toString();
    await mkdir(join(dir, "modules"));
    await copyFile(WORDFREQ, join(dir, "modules", `${moduleCid}.wasm`));
    await mkdir(join(dir, "pieces"));
    await writeFile(join(dir, "pieces", good.v2), text("good"), { mode: 0o444 });
    const flipped = Buffer.from(corruptPayload);
    flipped[flipped.length >> 1] ^= 0x20; // a bit flipped in the middle: same size, wrong CommP
    await writeFile(join(dir, "pieces", corrupt.v2), flipped, { mode: 0o444 });
    await chain.addPdpPiece(2, 1n, good.v2);
    await chain.addPdpPiece(2, 2n, corrupt.v2);

    const locality = [
      { piece: good.v2, kind: "pdp", dataSetId: 1, pieceId: 0 },
      { piece: corrupt.v2, kind: "pdp", dataSetId: 2, pieceId: 0 },
    ];
    agent = await startTestAgent({ chain, key: 2, dir, flags: { locality } });
  });

  after(async function () {
    await agent?.stop().catch(() => {});
    await chain?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const spec = (piece: string): SpecInput => ({
    version: 1,
    engine: { type: "wasm", module: moduleCid, args: [] },
    inputs: [{ piece, mount: "/inputs/text.txt", locality: true }],
    outputs: { path: "/outputs" },
    resources: { cpu: 1, memoryMb: 64, timeoutSec: 30, maxOutputBytes: 1 << 20 },
    network: "none",
    deterministic: true,
  });
  const submit = (piece: string) =>
    submitJob(chain.wallet(1), { spec: spec(piece), replicas: 1, quorum: 1, price: parseEther("0.1"), market: chain.market, commitWindow: 120, revealWindow: 120 });
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    const values = (await agent.metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
    return values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
  };
  const until = async (what: string, check: () => boolean | Promise<boolean>) => {
    const deadline = Date.now() + 60_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it("verifies the pieces it proves at start, and does not claim jobs over the one that fails", async function () {
    const before = await fingerprint(join(dir, "pieces"));
    await until("both start-up verifications", async () => (await metric("shoal_piece_verifications_total")) === 2);
    assert.equal(await metric("shoal_piece_verifications_total", { result: "ok" }), 1);
    assert.equal(await metric("shoal_piece_verifications_total", { result: "INPUT_CORRUPT" }), 1);
    assert.equal(await metric("shoal_pieces_failed_verification"), 1);

    const claims = await metric("shoal_tx_sent_total", { kind: "claim" });
    const { jobId } = await submit(corrupt.v2);
    await until("the job to be refused", () => agent.store.job(jobId)?.state === "refused");
    assert.match(agent.store.job(jobId)?.reason ?? "", /input/);
    assert.equal(await metric("shoal_tx_sent_total", { kind: "claim" }), claims, "not claimed");
    assert.equal(await metric("shoal_piece_verifications_total"), 2, "not hashed again");
    assert.deepEqual(await fingerprint(join(dir, "pieces")), before, "the piece directory is untouched");
  });

  it("runs a job over a proven stored piece read where it lies, without hashing it again, and settles it", async function () {
    const before = await fingerprint(join(dir, "pieces"));
    const { jobId } = await submit(good.v2);
    const { resultCid } = await waitForResult(chain.publicClient, { jobId, market: chain.market, timeout: 60_000, pollingInterval: 100 });
    assert.ok(resultCid.startsWith("bafy"));
    assert.equal(await metric("shoal_input_bytes_copied_total"), 0, "nothing copied");
    assert.equal(await metric("shoal_input_bytes_total", { source: "piece-directory" }), text("good").length);
    assert.equal(await metric("shoal_piece_verifications_total", { result: "ok" }), 1);
    assert.deepEqual(await fingerprint(join(dir, "pieces")), before);
  });

  it("fails a job over a proven piece that went bad since its verdict, before any result leaves the agent", async function () {
    // The stored file is rewritten with one bit flipped: a new version, with no verdict yet. The
    // job may start (its locality is proven), but its result waits for the verification, which fails.
    const path = join(dir, "pieces", good.v2);
    const bad = Buffer.from(text("good"));
    bad[100] ^= 0x04;
    await writeFile(path, bad);
    const reveals = await metric("shoal_tx_sent_total", { kind: "reveal" });
    const { jobId } = await submit(good.v2);
    await until("the job to fail", () => agent.store.job(jobId)?.state === "failed");
    assert.match(agent.store.job(jobId)?.reason ?? "", /^INPUT_CORRUPT: .*its CommP is baga/);
    assert.equal(await metric("shoal_tx_sent_total", { kind: "reveal" }), reveals, "no result sent");
    assert.equal((await getJob(chain.publicClient, { jobId, market: chain.market })).status, "Open");
    assert.equal(await metric("shoal_pieces_failed_verification"), 2);
  });
});

