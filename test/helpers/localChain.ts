/**
 * A local chain reachable over HTTP (EDR behind Hardhat's JSON-RPC server), with Shoal deployed
 * and funded Hardhat accounts, for agents that talk to it like to any RPC.
 */
import { network } from "hardhat";
import { CID } from "multiformats/cid";
import { type Address, createPublicClient, createWalletClient, http, type Hex, type PublicClient, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { artifact, deployArtifact, deployShoalViem } from "../../scripts/lib/deploy-viem.js";
import type { DeployOptions } from "../../scripts/lib/deploy.js";

/** Hardhat's default accounts (mnemonic "test test … junk"): #0 deploys, #1 is the client, #2.. are providers. */
export const KEYS: Hex[] = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
];

/**
 * `pdp: true` also deploys the PDP verifier stand-in (contracts/test) behind the PdpLocality
 * adapter, for jobs that require locality: `addPdpPiece` puts a piece in a provider's data set.
 */
export async function startLocalChain(options: DeployOptions & { pdp?: boolean } = {}) {
  const server = await network.createServer("default", "127.0.0.1", 0);
  const { address, port } = await server.listen();
  const rpcUrl = `http://${address}:${port}`;
  const publicClient = createPublicClient({ chain: hardhat, transport: http(rpcUrl), pollingInterval: 50 }) as PublicClient;
  const wallet = (i: number) => createWalletClient({ chain: hardhat, transport: http(rpcUrl), account: privateKeyToAccount(KEYS[i]!) });
  let pdp: Address | undefined;
  if (options.pdp) {
    pdp = await deployArtifact(wallet(0), publicClient, "contracts/test/pdp/PDPVerifierStandIn.sol/PDPVerifierStandIn.json");
    const pdpLocality = await deployArtifact(wallet(0), publicClient, "contracts/locality/PdpLocality.sol/PdpLocality.json", [pdp, 5_760n]);
    options = { ...options, pdpLocality };
  }
  const deployed = await deployShoalViem(wallet(0), publicClient, options);
  /** Puts piece `pieceV2` (a v2 piece CID) in PDP data set `setId` of the provider with key index `i`, as piece 0, live. */
  async function addPdpPiece(i: number, setId: bigint, pieceV2: string): Promise<void> {
    if (pdp === undefined) throw new Error("startLocalChain({ pdp: true }) deploys the PDP stand-in");
    const { abi } = await artifact("contracts/test/pdp/PDPVerifierStandIn.sol/PDPVerifierStandIn.json");
    const provider = privateKeyToAccount(KEYS[i]!).address;
    for (const [functionName, args] of [
      ["setDataSet", [setId, provider, true]],
      ["setPiece", [setId, 0n, toHex(CID.parse(pieceV2).bytes), true]],
    ] as const) {
      const hash = await wallet(0).writeContract({ address: pdp, abi, functionName, args: args as readonly unknown[] });
      await publicClient.waitForTransactionReceipt({ hash });
    }
  }
  return { rpcUrl, publicClient, wallet, ...deployed, pdp, addPdpPiece, close: () => server.close() };
}
