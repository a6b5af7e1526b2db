// The job page's data: the job (getJob), its events (watchJob, polling at the chain's interval,
// so the page changes within one poll of each event) and, per transaction, its step, sender,
// gas (from the receipt) and, for claims, the locality proofs it carried.
import { getJob, type GetJobReturnType, type JobEvent, jobMarketAbi, watchJob } from "@shoal/sdk";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { type Address, decodeAbiParameters, decodeFunctionData, type Hash, type PublicClient } from "viem";
import { usePublicClient } from "wagmi";
import { useShoal } from "../../lib/config";

export type TxInfo = { step: string; from: Address; gasUsed: bigint; proofs: string[] | undefined };

const TERMINAL = new Set(["Settled", "Expired", "Cancelled", "Failed"]);

export function useJobActivity(jobId: bigint) {
  const { chainId, market, fromBlock, pollingInterval } = useShoal();
  const client = usePublicClient({ chainId }) as PublicClient | undefined;
  const [events, setEvents] = useState<JobEvent[]>([]);
  const [watchError, setWatchError] = useState<unknown>(undefined);

  const job = useQuery({
    queryKey: ["shoal", "job", chainId, market, jobId.toString()],
    queryFn: () => getJob(client!, { jobId, market }),
    enabled: client !== undefined,
    // Between events, a slow refresh catches what events do not carry (deadline passing, etc.).
    refetchInterval: (q) => (q.state.data && TERMINAL.has(q.state.data.status) ? false : pollingInterval * 4),
  });
  const { refetch } = job;

  useEffect(() => {
    if (!client) return;
    setEvents([]);
    setWatchError(undefined);
    const unwatch = watchJob(client, {
      jobId,
      market,
      fromBlock,
      pollingInterval,
      onEvent: (event) => {
        setWatchError(undefined);
        setEvents((list) => [...list, event]);
        void refetch();
      },
      onError: (error) => setWatchError(error),
    });
    return unwatch;
  }, [client, jobId, market, fromBlock, pollingInterval, refetch]);

  const txs = useTxInfo(client, events);
  return { job, events, watchError, txs };
}

/** Step, sender, gas and locality proofs of each transaction behind `events`, fetched once each. */
function useTxInfo(client: PublicClient | undefined, events: readonly JobEvent[]): Map<Hash, TxInfo> {
  const [infos, setInfos] = useState<Map<Hash, TxInfo>>(new Map());
  useEffect(() => {
    if (!client) return;
    const missing = [...new Set(events.map((e) => e.transactionHash))].filter((h) => !infos.has(h));
    if (missing.length === 0) return;
    let cancelled = false;
    void Promise.all(
      missing.map(async (hash) => {
        const [tx, receipt] = await Promise.all([client.getTransaction({ hash }), client.getTransactionReceipt({ hash })]);
        let step = "call";
        let proofs: string[] | undefined;
        try {
          const call = decodeFunctionData({ abi: jobMarketAbi, data: tx.input });
          step = call.functionName;
          if (call.functionName === "claim" || call.functionName === "claimAndCommit") proofs = (call.args[3] as readonly { kind: number; data: `0x${string}` }[]).map(describeProof);
        } catch {
          // Not a direct market call (a contract calling the market): the step stays "call".
        }
        return [hash, { step, from: tx.from, gasUsed: receipt.gasUsed, proofs }] as const;
      }),
    ).then(
      (entries) => {
        if (!cancelled) setInfos((old) => new Map([...old, ...entries]));
      },
      () => {}, // retried with the next event
    );
    return () => {
      cancelled = true;
    };
  }, [client, events, infos]);
  return infos;
}

/** A locality proof in words: `PDP data set 1, piece 0` or `f05 deal 77`. */
export function describeProof(proof: { kind: number; data: `0x${string}` }): string {
  try {
    if (proof.kind === 0) {
      const [set, piece] = decodeAbiParameters([{ type: "uint256" }, { type: "uint256" }], proof.data);
      return `PDP data set ${set}, piece ${piece}`;
    }
    if (proof.kind === 1) {
      const [deal] = decodeAbiParameters([{ type: "uint64" }], proof.data);
      return `f05 deal ${deal}`;
    }
  } catch {
    // fall through
  }
  return `proof of kind ${proof.kind}`;
}

export type { GetJobReturnType };
