// The new-job form's rules, apart from the UI so they can be tested: the spec's rules come from
// the SDK's buildSpec (each InvalidSpecError issue is put next to the field it names), the
// market's from its limits (replicas, quorum, price, windows); the escrow is n × price + fee.
import { buildSpec, InvalidSpecError, type Spec, type SpecInput } from "@shoal/sdk";
import { parseEther } from "viem";

/** The market's limits (contracts/market/JobMarket.sol). */
export const MAX_REPLICAS = 16;
export const MIN_WINDOW = 60;
export const MAX_WINDOW = 30 * 24 * 3600;

/** Field names, as in the `field-<name>-error` test IDs. */
export type JobField =
  | "module"
  | "image"
  | "piece"
  | "file"
  | "mount"
  | "args"
  | "replicas"
  | "quorum"
  | "price"
  | "cpus"
  | "memoryMb"
  | "timeoutSec"
  | "commitWindow"
  | "revealWindow";

/** What the form holds: strings as typed. */
export type JobFormValues = {
  engine: "wasm" | "docker";
  module: string;
  image: string;
  args: string;
  input: "file" | "piece" | "none";
  /** The piece CID typed, or computed from the picked file. */
  piece: string;
  mount: string;
  locality: boolean;
  cpus: string;
  memoryMb: string;
  timeoutSec: string;
  replicas: string;
  quorum: string;
  price: string;
  commitWindow: string;
  revealWindow: string;
};

export const DEFAULT_VALUES: JobFormValues = {
  engine: "wasm",
  module: "",
  image: "",
  args: "",
  input: "file",
  piece: "",
  mount: "/inputs/data",
  locality: true,
  cpus: "1",
  memoryMb: "256",
  timeoutSec: "60",
  replicas: "3",
  quorum: "2",
  price: "0.1",
  commitWindow: "600",
  revealWindow: "600",
};

export type JobFormResult =
  | { ok: true; spec: Spec; replicas: number; quorum: number; price: bigint; commitWindow: number; revealWindow: number }
  | { ok: false; errors: Partial<Record<JobField | "form", string>> };

/** A spec field path (`engine.image`, `inputs[0].piece`, `resources.cpu`) → the form field showing it. */
export function fieldOfPath(path: string, input: JobFormValues["input"]): JobField | "form" {
  if (path === "engine.module") return "module";
  if (path === "engine.image") return "image";
  if (path.startsWith("engine.args")) return "args";
  if (/^inputs\[\d+\]\.piece$/.test(path)) return input === "file" ? "file" : "piece";
  if (/^inputs\[\d+\]\.mount$/.test(path)) return "mount";
  if (path === "resources.cpu") return "cpus";
  if (path === "resources.memoryMb") return "memoryMb";
  if (path === "resources.timeoutSec") return "timeoutSec";
  return "form";
}

/** `"a b 'c d'"` → `["a", "b", "c d"]`: arguments separated by spaces, quotes group. */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

const sentence = (rule: string) => {
  const s = rule.charAt(0).toUpperCase() + rule.slice(1);
  return /[.!?)]$/.test(s) ? s : `${s}.`;
};

/** A whole number in [min, max], or undefined. */
function integer(text: string, min: number, max: number): number | undefined {
  if (!/^\s*\d+\s*$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

/** The spec input the form describes (numbers that do not parse are passed as NaN for buildSpec to name). */
export function toSpecInput(v: JobFormValues): SpecInput {
  const num = (s: string) => (/^\s*-?\d+(\.\d+)?\s*$/.test(s) ? Number(s) : Number.NaN);
  const engine =
    v.engine === "wasm"
      ? { type: "wasm" as const, module: v.module.trim(), args: splitArgs(v.args) }
      : { type: "docker" as const, image: v.image.trim(), args: splitArgs(v.args) };
  return {
    version: 1,
    engine,
    inputs: v.input === "none" ? [] : [{ piece: v.piece.trim(), mount: v.mount.trim(), locality: v.locality }],
    resources: { cpu: num(v.cpus), memoryMb: num(v.memoryMb), timeoutSec: num(v.timeoutSec) },
    ...(v.engine === "docker" ? { deterministic: true } : {}),
  } as SpecInput;
}

/** Checks every field; returns the built spec and the market parameters, or an error per field. */
export function validateJobForm(v: JobFormValues): JobFormResult {
  const errors: Partial<Record<JobField | "form", string>> = {};
  let spec: Spec | undefined;
  if (v.input === "file" && v.piece.trim() === "") errors.file = "Pick a file (its piece CID is computed here) or paste a piece CID.";
  else if (v.input === "piece" && v.piece.trim() === "") errors.piece = "Paste the piece CID of the input (bafkzcib… or baga…).";
  if (v.engine === "wasm" && v.module.trim() === "") errors.module = "Give the WASM module's CID (the providers fetch it by CID).";
  if (v.engine === "docker" && v.image.trim() === "") errors.image = "Give the image pinned by digest: name@sha256:<64 hex>.";
  try {
    spec = buildSpec(toSpecInput(v));
  } catch (error) {
    if (!(error instanceof InvalidSpecError)) throw error;
    for (const { path, rule } of error.issues) {
      const field = fieldOfPath(path, v.input);
      errors[field] ??= field === "form" ? sentence(`${path}: ${rule}`) : sentence(rule);
    }
  }

  const replicas = integer(v.replicas, 1, MAX_REPLICAS);
  if (replicas === undefined) errors.replicas = `Replicas must be a whole number from 1 to ${MAX_REPLICAS}.`;
  const quorum = integer(v.quorum, 1, MAX_REPLICAS);
  if (quorum === undefined || (replicas !== undefined && quorum > replicas))
    errors.quorum = `Quorum must be a whole number from 1 to the replicas${replicas !== undefined ? ` (${replicas})` : ""}.`;
  let price: bigint | undefined;
  try {
    if (!/^\s*\d*(\.\d{0,18})?\s*$/.test(v.price) || v.price.trim() === "" || v.price.trim() === ".") throw new Error();
    price = parseEther(v.price.trim());
  } catch {
    price = undefined;
  }
  if (price === undefined || price === 0n) errors.price = "Price must be a positive amount of FIL (up to 18 decimals).";
  const commitWindow = integer(v.commitWindow, MIN_WINDOW, MAX_WINDOW);
  if (commitWindow === undefined) errors.commitWindow = `The commit window must be whole seconds from ${MIN_WINDOW} to ${MAX_WINDOW} (30 days).`;
  const revealWindow = integer(v.revealWindow, MIN_WINDOW, MAX_WINDOW);
  if (revealWindow === undefined) errors.revealWindow = `The reveal window must be whole seconds from ${MIN_WINDOW} to ${MAX_WINDOW} (30 days).`;

  if (Object.keys(errors).length > 0 || !spec) return { ok: false, errors };
  return { ok: true, spec, replicas: replicas!, quorum: quorum!, price: price!, commitWindow: commitWindow!, revealWindow: revealWindow! };
}

/** The escrow a job takes: replicas × price, plus the market's fee (feeBps / 10,000 of it), as submitJob sends it. */
export function escrowOf(replicas: number, price: bigint, feeBps: number): { work: bigint; fee: bigint; total: bigint } {
  const work = BigInt(replicas) * price;
  const fee = (work * BigInt(feeBps)) / 10_000n;
  return { work, fee, total: work + fee };
}
