import { type Chain, defineChain } from "viem";
import { filecoin, filecoinCalibration, hardhat } from "viem/chains";
import { UsageError } from "./errors.js";

/** A chain chosen with `--chain`, and how messages name it. */
export type ChainChoice = { chain: Chain; label: string; local: boolean };

const KNOWN: { names: string[]; chain: Chain; label: string; local: boolean }[] = [
  { names: ["local", "localhost", "hardhat"], chain: hardhat, label: "local", local: true },
  { names: ["calibration", "calibnet"], chain: filecoinCalibration, label: "calibration", local: false },
  { names: ["mainnet", "filecoin"], chain: filecoin, label: "mainnet", local: false },
];

/** Parses `--chain`: `local` (31337), `calibration` (314159), `mainnet` (314) or a chain ID. */
export function parseChain(value: string): ChainChoice {
  const key = value.trim().toLowerCase();
  const byName = KNOWN.find((k) => k.names.includes(key));
  if (byName) return { chain: byName.chain, label: `${byName.label} (${byName.chain.id})`, local: byName.local };
  if (!/^[1-9][0-9]{0,15}$/.test(key)) {
    throw new UsageError(`--chain must be local, calibration, mainnet or a chain ID, not "${value}"`);
  }
  const id = Number(key);
  const byId = KNOWN.find((k) => k.chain.id === id);
  if (byId) return { chain: byId.chain, label: `${byId.label} (${id})`, local: byId.local };
  const chain = defineChain({
    id,
    name: `Chain ${id}`,
    nativeCurrency: { name: "Filecoin", symbol: "FIL", decimals: 18 },
    rpcUrls: { default: { http: [] } },
  });
  return { chain, label: `chain ${id}`, local: false };
}

/** The default RPC: the local node for local and unknown chains, else the chain's public endpoint. */
export function defaultRpc(choice: ChainChoice): string {
  if (choice.local) return "http://127.0.0.1:8545";
  return choice.chain.rpcUrls.default.http[0] ?? "http://127.0.0.1:8545";
}
