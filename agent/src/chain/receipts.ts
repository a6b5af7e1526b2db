/**
 * Waiting for a transaction's receipt: viem's poll (every `pollingInterval`) stays the safety net,
 * and with a head subscription the receipt is also looked up as each new head arrives, so the
 * pipeline acts on it in the block it lands in instead of up to one poll later.
 */
import type { Client, Hash, TransactionReceipt } from "viem";
import { getTransactionReceipt, waitForTransactionReceipt } from "viem/actions";
import type { Heads } from "./heads.js";

export async function waitForReceipt(client: Client, hash: Hash, heads?: Pick<Heads, "onHead">): Promise<TransactionReceipt> {
  if (!heads) return waitForTransactionReceipt(client, { hash });
  const polling = new AbortController();
  let unsubscribe: (() => void) | undefined;
  try {
    return await new Promise<TransactionReceipt>((resolve, reject) => {
      unsubscribe = heads.onHead(() => void getTransactionReceipt(client, { hash }).then(resolve, () => {}));
      waitForTransactionReceipt(client, { hash, signal: polling.signal }).then(resolve, reject);
    });
  } finally {
    unsubscribe?.();
    polling.abort();
  }
}
