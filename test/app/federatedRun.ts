/**
 * A short federated training run on the dapp's chain, so the training page has real rounds to show
 * without the ML agents: the test plays the one provider of every job. It registers a provider
 * whose gateway is a small HTTP server here, starts a run on the app's FederatedAveraging
 * coordinator (one shard, replicas 1, quorum 1, no locality, a Docker image no agent allows, so the
 * app's agents leave the jobs alone), then claims, commits and reveals each job the coordinator
 * posts, with results packed as real result CARs (the evaluation's holds a metrics.json), and
 * calls `advance` until the run is done.
 */
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Address, createPublicClient, createWalletClient, type Hex, http, parseEther, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import {
  advanceFederatedRun,
  claimSlot,
  commitResult,
  getFederatedRun,
  getJob,
  registerProvider,
  revealResult,
  type SpecInput,
  startFederatedRun,
  templateHole,
  toPieceRef,
} from "../../sdk/src/index.js";
import { packResult } from "../../sdk/src/node.js";
import { KEYS } from "../helpers/localChain.js";

export type FakeRun = { runId: bigint; accuracies: number[]; close(): Promise<void> };

/** Runs `accuracies.length` rounds; round i's evaluation reports accuracies[i]. */
export async function runFederatedRounds(
  app: { rpcUrl: string; market: Address; registry: Address; federated: Address[]; client: Address; piece: { cid: string } },
  accuracies: number[],
): Promise<FakeRun> {
  const coordinator = app.federated[0]!;
  const publicClient = createPublicClient({ chain: hardhat, transport: http(app.rpcUrl), pollingInterval: 50 });
  const provider = createWalletClient({ chain: hardhat, transport: http(app.rpcUrl), account: privateKeyToAccount(KEYS[5]!) });
  const client = createWalletClient({ chain: hardhat, transport: http(app.rpcUrl), account: app.client });

  // The provider's gateway: result CARs by CID, readable from the browser (CORS).
  const cars = new Map<string, Uint8Array>();
  const server = createServer((req, res) => {
    res.setHeader("access-control-allow-origin", "*");
    const cid = /^\/ipfs\/([^/?]+)/.exec(req.url ?? "")?.[1];
    const car = cid === undefined ? undefined : cars.get(cid);
    if (!car) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/vnd.ipld.car; version=1" }).end(car);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  // Connections the browser keeps alive (its pages poll this gateway) are cut, or close() would
  // wait for them: the training page test hung here once for its whole 300 s timeout.
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  try {
    await registerProvider(provider, { registry: app.registry, gatewayUrl: `http://127.0.0.1:${port}`, capabilities: { engines: 3, cpus: 2, memoryMb: 2048, gpus: 0 }, stake: parseEther("10") });

    const work = await mkdtemp(join(tmpdir(), "shoal-app-fedrun-"));
    let made = 0;
    async function result(files: Record<string, string>): Promise<Hex> {
      const dir = join(work, String(made++));
      await mkdir(dir);
      for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
      const { cid, carBytes } = await packResult(dir);
      cars.set(cid.toString(), carBytes);
      return toHex(cid.bytes);
    }

    const piece = toPieceRef({ piece: app.piece.cid });
    const spec = (what: string, inputs: SpecInput["inputs"]): SpecInput => ({
      version: 1,
      // An image no agent of the app allows: only this test's provider takes these jobs.
      engine: { type: "docker", image: `shoal-test/federated-stand-in@sha256:${"0".repeat(64)}`, args: [what] },
      inputs,
      resources: { cpu: 1, memoryMb: 64, timeoutSec: 60 },
      deterministic: true,
    });
    const shard = { piece: app.piece.cid, mount: "/inputs/shard", locality: false };
    const { runId, firstJobs } = await startFederatedRun(client, {
      coordinator,
      shards: [piece],
      testShard: piece,
      locality: false,
      rounds: accuracies.length,
      terms: { replicas: 1, quorum: 1, price: parseEther("0.01"), collateral: parseEther("0.1") },
      specs: {
        trainFirst: [spec("train", [shard])],
        trainNext: [spec("train", [{ job: templateHole(0), mount: "/inputs/model" }, shard])],
        aggregate: spec("aggregate", [{ job: templateHole(0), mount: "/inputs/u0" }]),
        evaluate: spec("evaluate", [{ job: templateHole(0), mount: "/inputs/model" }, shard]),
      },
    });

    const me = provider.account.address;
    let pending = [...firstJobs];
    let round = 0;
    for (let steps = 0; pending.length > 0; steps++) {
      if (steps > 4 * accuracies.length + 4) throw new Error("the stand-in run does not end");
      for (const jobId of pending) {
        const [, , kind] = await publicClient.readContract({
          address: coordinator,
          abi: [{ type: "function", name: "stepOf", stateMutability: "view", inputs: [{ type: "uint256" }], outputs: [{ type: "uint256" }, { type: "uint256" }, { type: "uint8" }, { type: "uint256" }, { type: "uint256" }] }] as const,
          functionName: "stepOf",
          args: [jobId],
        });
        // Kind: 0 train, 1 aggregate, 2 evaluate.
        const resultCid =
          kind === 2
            ? await result({ "metrics.json": JSON.stringify({ rows: 300, accuracy: accuracies[round++], loss: 0.5 }) })
            : await result({ "model.bin": `stand-in model of job ${jobId}` });
        const job = await getJob(publicClient, { jobId, market: app.market });
        if (job.claimed !== 0) throw new Error(`job ${jobId} was claimed by someone else`);
        await claimSlot(provider, { jobId, slot: 0, market: app.market, inputs: kind === 1 ? [] : [piece] });
        await commitResult(provider, { jobId, slot: 0, resultCid, provider: me, market: app.market });
        await revealResult(provider, { jobId, slot: 0, resultCid, market: app.market });
      }
      const { posted, ended } = await advanceFederatedRun(client, { coordinator, runId });
      pending = ended ? [] : posted;
    }
    const run = await getFederatedRun(publicClient, { coordinator, runId });
    if (run.phase !== "Done") throw new Error(`the stand-in run ended ${run.phase}`);
    return { runId, accuracies, close };
  } catch (error) {
    await close();
    throw error;
  }
}
