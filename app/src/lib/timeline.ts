// A job's events folded into one timeline per slot, apart from the UI so it can be tested.
import type { JobEvent } from "@shoal/sdk";
import type { Address, Hash } from "viem";

export type SlotState = "open" | "claimed" | "committed" | "revealed" | "slashed" | "reopened";

export type SlotStep = {
  kind: "claimed" | "committed" | "revealed" | "reopened" | "slashed" | "paid";
  provider: Address | undefined;
  blockNumber: bigint;
  transactionHash: Hash;
};

export type SlotTimeline = { slot: number; state: SlotState; provider: Address | undefined; steps: SlotStep[] };

/** The slots of a job with `replicas` slots, from its events in chain order. */
export function slotTimelines(replicas: number, events: readonly JobEvent[]): SlotTimeline[] {
  const slots: SlotTimeline[] = Array.from({ length: replicas }, (_, slot) => ({ slot, state: "open", provider: undefined, steps: [] }));
  for (const e of events) {
    if (e.type === "claimed" || e.type === "committed" || e.type === "revealed") {
      const s = slots[e.slot];
      if (!s) continue;
      s.state = e.type;
      s.provider = e.provider;
      s.steps.push({ kind: e.type, provider: e.provider, blockNumber: e.blockNumber, transactionHash: e.transactionHash });
    } else if (e.type === "reopened") {
      const s = slots[e.slot];
      if (!s) continue;
      s.state = "reopened";
      s.provider = undefined;
      s.steps.push({ kind: "reopened", provider: e.previous, blockNumber: e.blockNumber, transactionHash: e.transactionHash });
    } else if (e.type === "finalized") {
      for (const s of slots) {
        if (e.slashedMask & (1 << s.slot)) {
          s.state = "slashed";
          s.steps.push({ kind: "slashed", provider: s.provider, blockNumber: e.blockNumber, transactionHash: e.transactionHash });
        } else if (e.winnersMask & (1 << s.slot)) {
          s.steps.push({ kind: "paid", provider: s.provider, blockNumber: e.blockNumber, transactionHash: e.transactionHash });
        }
      }
    }
  }
  return slots;
}

/** How many commits and reveals the job has, for the quorum line. */
export function quorumProgress(events: readonly JobEvent[]): { commits: number; reveals: number; reached: boolean } {
  let commits = 0;
  let reveals = 0;
  let reached = false;
  for (const e of events) {
    if (e.type === "committed") commits++;
    else if (e.type === "revealed") reveals++;
    else if (e.type === "quorum") reached = true;
  }
  return { commits, reveals, reached };
}

/** Whether a file should be shown inline: text, JSON or CSV by name, or bytes that decode as UTF-8 text. */
export function inlineKind(path: string, bytes: Uint8Array): "json" | "csv" | "text" | undefined {
  if (bytes.length > 512 * 1024) return undefined;
  const ext = path.toLowerCase().split(".").pop() ?? "";
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  if (text.includes("\u0000")) return undefined;
  if (ext === "json") return "json";
  if (ext === "csv") return "csv";
  return "text";
}

/** CSV lines → rows of cells (quotes handled; enough for showing a table). */
export function parseCsv(text: string, maxRows = 200): string[][] {
  const rows: string[][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === "" || rows.length >= maxRows) continue;
    const cells: string[] = [];
    for (const m of line.matchAll(/(?:^|,)(?:"((?:[^"]|"")*)"|([^,]*))/g)) cells.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : (m[2] ?? ""));
    rows.push(cells);
  }
  return rows;
}
