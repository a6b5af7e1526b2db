/**
 * Shoal on the embedded chain, as `npm run demo` and `npm run app` run it:
 *
 *  1. a local Hardhat chain (EDR) with the FEVM actor emulator installed, served over HTTP;
 *  2. the contracts (registry, market, PDP and f05 locality adapters) deployed as a deployment
 *     does, and optionally a FederatedAveraging coordinator;
 *  3. three storage providers holding a real dataset piece (examples/data): two in PDP data sets
 *     of a PDPVerifier stand-in, one in an f05 deal of its miner in the emulated market actor;
 *  4. three `shoal-agent` processes, registered with the agent's own CLI, running the WASM
 *     word-frequency module (and Docker jobs when a Docker engine answers).
 * Every process and file it makes belongs to `processes` (scripts/lib/demoProcesses.ts), whose
 * `cleanup()` stops and removes them.
 */
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { sha256 } from "multiformats/hashes/sha2";
import Dockerode from "dockerode";
import { type Address, createPublicClient, http, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { pieceCid } from "../../sdk/src/index.js";
import { deployShoal } from "./deploy.js";
import type { demoProcesses } from "./demoProcesses.js";
import { installFevm } from "../../test/helpers/fevm.js";
import { buildWordcountImage } from "../../test/helpers/docker.js";
import { KEYS } from "../../test/helpers/localChain.js";
import { freePort, serveRpc } from "../../test/helpers/net.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

export type LocalShoalOptions = {
  processes: ReturnType<typeof demoProcesses>;
  /** Progress lines (default: none). */
  log?: ((line: string) => void) | undefined;
  /** Build the busybox word-count image and enable Docker jobs when an engine answers (default true). */
  docker?: boolean | undefined;
  /** Also deploy a FederatedAveraging coordinator on the market (default false). */
  federated?: boolean | undefined;
};

/** Starts the chain, contracts, providers and agents; see the file's comment. */
export async function startLocalShoal(options: LocalShoalOptions) {
  const { processes } = options;
  const say = options.log ?? (() => {});

  // 1. The chain, with the FEVM actor emulator, served over HTTP for the agent processes.
  const connection = await network.create();
  const { viem } = connection;
  const rpcServer = await serveRpc(connection.provider);
  processes.owned.rpcServer = rpcServer;
  const rpcUrl = rpcServer.url;
  const publicClient = createPublicClient({ chain: hardhat, transport: http(rpcUrl), pollingInterval: 100 });
  const fevm = await installFevm(viem);
  say(`Local chain (Hardhat EDR) at ${rpcUrl}, FEVM actor emulator installed`);

  // 2. Contracts.
  const pdp = await viem.deployContract("PDPVerifierStandIn");
  const pdpLocality = await viem.deployContract("PdpLocality", [pdp.address, 5_760n]); // proofs at most 2 days (5,760 epochs) old
  const dealLocality = await viem.deployContract("DealLocality");
  const { registry, market } = await deployShoal(viem, { pdpLocality: pdpLocality.address, dealLocality: dealLocality.address });
  say(`JobMarket ${market.address}, ProviderRegistry ${registry.address}`);
  const federated: Address[] = [];
  if (options.federated) {
    federated.push((await viem.deployContract("FederatedAveraging", [market.address])).address);
    say(`FederatedAveraging ${federated[0]}`);
  }

  // 3. The dataset piece and three providers that store it.
  const payload = new Uint8Array(await readFile(join(root, "examples/data/harbor-log.txt")));
  const piece = pieceCid(payload);
  say(`Dataset examples/data/harbor-log.txt (${payload.length} bytes): piece ${piece.v2}`);
  const workDir = await mkdtemp(join(tmpdir(), "shoal-demo-"));
  processes.owned.workDir = workDir;
  const wasm = await readFile(join(root, "examples/wasm/wordfreq.wasm"));
  const moduleCid = CID.create(1, raw.code, await sha256.digest(wasm)).toString();
  let image: { ref: string } | undefined;
  let dockerNote = "";
  if (options.docker !== false) {
    try {
      const docker = new Dockerode({ socketPath: "/var/run/docker.sock" });
      await docker.ping();
      image = await buildWordcountImage(docker);
    } catch {
      dockerNote = "no Docker engine reachable: skipping the Docker job (start dockerd to include it)";
    }
  }

  const providers = [2, 3, 4].map((i, n) => ({ i, label: `provider ${n + 1}`, address: privateKeyToAccount(KEYS[i]!).address as Address, gateway: "" }));
  for (const [n, p] of providers.entries()) {
    const home = join(workDir, `sp${n + 1}`);
    await mkdir(join(home, "pieces"), { recursive: true });
    await mkdir(join(home, "modules"), { recursive: true });
    await writeFile(join(home, "pieces", piece.v2), payload);
    await copyFile(join(root, "examples/wasm/wordfreq.wasm"), join(home, "modules", `${moduleCid}.wasm`));
    let locality: Record<string, unknown>;
    if (n < 2) {
      await pdp.write.setDataSet([BigInt(n + 1), p.address, true]);
      await pdp.write.setPiece([BigInt(n + 1), 0n, toHex(CID.parse(piece.v2).bytes), true]);
      locality = { piece: piece.v2, kind: "pdp", dataSetId: n + 1, pieceId: 0 };
    } else {
      await fevm.addMiner(1000n + BigInt(n), { owner: p.address });
      await fevm.addDeal(77n, { provider: 1000n + BigInt(n), pieceCid: toHex(CID.parse(piece.v1).bytes), size: BigInt(piece.paddedSize) });
      locality = { piece: piece.v2, kind: "deal", dealId: 77 };
    }
    const port = await freePort();
    p.gateway = `http://127.0.0.1:${port}`;
    const config = {
      // The node speaks WebSocket on its HTTP port: the agent acts on pushed heads and sends its calls over the socket.
      chain: { rpcUrls: [rpcUrl], wsUrl: rpcUrl.replace(/^http/, "ws"), chainId: 31337, market: market.address, registry: registry.address, pollIntervalMs: 200 },
      policy: { minPrice: "0.01", maxCpu: 2, maxMemoryMb: 2048, gpus: 0, maxTimeoutSec: 300, safetyMarginSec: 10 },
      engines: { wasm: { enabled: true, moduleDir: join(home, "modules") }, docker: { enabled: image !== undefined, allowedImages: image ? ["shoal-test/busybox"] : [] } },
      data: { pieceDir: join(home, "pieces") },
      locality: [locality],
      results: { dir: join(home, "results"), retentionSeconds: 3600 },
      gateway: { host: "127.0.0.1", port },
      stateDir: join(home, "state"),
      logLevel: "warn",
    };
    await writeFile(join(home, "shoal-agent.json"), JSON.stringify(config, null, 2));
    await processes.startAgent({
      label: p.label, config: join(home, "shoal-agent.json"), privateKey: KEYS[p.i]!,
      registerArgs: ["--stake", "10", ...(n === 2 ? ["--miner", String(1000 + n)] : [])],
    });
    const proof = n < 2 ? `PDP data set ${n + 1}` : `f05 deal 77 of miner f0${1000 + n}`;
    say(`${p.label.padEnd(11)} ${p.address}  stores the piece (${proof}); agent running`);
  }

  // The client: Hardhat's account #1, unlocked on the node (the dapp's mock connector uses it).
  const client = await viem.getWalletClients().then((w) => w[1]!);
  return { connection, viem, rpcUrl, publicClient, market, registry, federated, piece, payload, moduleCid, image, dockerNote, providers, client, workDir };
}
