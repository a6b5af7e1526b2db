import { type Address, type Client, type Hex, type Log, numberToHex } from "viem";
import { getBlockNumber } from "viem/actions";

/** FEVM nodes cap eth_getLogs ranges (Lotus: 2880 epochs; public endpoints keep about 2000). */
export const MAX_LOG_RANGE = 2_000n;

/**
 * eth_getLogs over [fromBlock, toBlock] in ranges of at most `maxRange` blocks, so it works on
 * FEVM endpoints as well as on local chains. `topics` filters as in eth_getLogs.
 */
export async function getLogsChunked(
  client: Client,
  params: { address: Address; fromBlock: bigint; toBlock?: bigint; topics?: (Hex | null)[]; maxRange?: bigint },
): Promise<Log[]> {
  const toBlock = params.toBlock ?? (await getBlockNumber(client));
  const range = params.maxRange ?? MAX_LOG_RANGE;
  const logs: Log[] = [];
  for (let from = params.fromBlock; from <= toBlock; from += range) {
    const to = from + range - 1n < toBlock ? from + range - 1n : toBlock;
    const chunk = (await client.request({
      method: "eth_getLogs",
      params: [{ address: params.address, fromBlock: numberToHex(from), toBlock: numberToHex(to), topics: params.topics }],
    } as never)) as Log[];
    logs.push(...chunk);
  }
  return logs;
}
