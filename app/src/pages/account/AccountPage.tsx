import { useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { zeroAddress } from "viem";
import { useConnection, usePublicClient, useWaitForTransactionReceipt, useWriteContract } from "wagmi";
import { jobMarketAbi } from "@shoal/sdk";
import { Empty, ErrorLine, Loading } from "../../components/States";
import { useShoal } from "../../lib/config";
import { fil } from "../providers/readProviders";
import { readAccount } from "./readAccount";
import "../providers/providers.css";

const STATE_BADGE: Partial<Record<string, string>> = { Settled: "ok", Expired: "bad", Failed: "bad", Cancelled: "warn", Revealing: "warn" };

/** The connected account's jobs and money: what it posted or worked on, what it is owed, withdraw. */
export default function AccountPage() {
  const { chainId, market, fromBlock, pollingInterval } = useShoal();
  const { address, isConnected } = useConnection();
  const client = usePublicClient({ chainId });
  const query = useQuery({
    queryKey: ["shoal", "account", chainId, market, address, String(fromBlock)],
    queryFn: () => readAccount(client!, { account: address!, market, fromBlock }),
    enabled: client !== undefined && address !== undefined,
    refetchInterval: pollingInterval,
  });

  return (
    <section className="page page-account" aria-labelledby="account-title">
      <h1 id="account-title">My jobs and money</h1>
      {!isConnected || address === undefined ? (
        <Empty>Connect a wallet to see its jobs and what they owe it.</Empty>
      ) : query.isPending ? (
        <Loading label="Reading your jobs" />
      ) : query.isError && query.data === undefined ? (
        <ErrorLine error={query.error} onRetry={() => void query.refetch()} />
      ) : (
        <>
          {query.isError && <ErrorLine error={query.error} onRetry={() => void query.refetch()} />}
          <Owed total={query.data.total} jobIds={query.data.owed.map((o) => o.jobId)} onDone={() => void query.refetch()} />
          <h2>Jobs</h2>
          {query.data.jobs.length === 0 ? (
            <Empty>
              This account has not posted or worked on any job yet. <a href="#/jobs/new">Post a job</a>.
            </Empty>
          ) : (
            <div className="table-wrap">
              <table className="jobs stack">
                <thead>
                  <tr>
                    <th scope="col">Job</th>
                    <th scope="col">Role</th>
                    <th scope="col">State</th>
                    <th scope="col">Slots</th>
                    <th scope="col">Price / replica</th>
                    <th scope="col">Owed to you</th>
                  </tr>
                </thead>
                <tbody>
                  {query.data.jobs.map((job) => (
                    <tr key={String(job.jobId)} data-testid="my-job-row" data-job={String(job.jobId)} data-state={job.status}>
                      <td data-label="Job">
                        <a href={`#/jobs/${job.jobId}`}>#{String(job.jobId)}</a>
                      </td>
                      <td data-label="Role">{job.roles.join(", ")}</td>
                      <td data-label="State">
                        <span className={`badge ${STATE_BADGE[job.status] ?? ""}`}>{job.status}</span>
                      </td>
                      <td data-label="Slots">
                        {job.claimed}/{job.replicas} claimed, quorum {job.quorum}
                      </td>
                      <td data-label="Price / replica">{fil(job.price)}</td>
                      <td data-label="Owed to you">{job.owed > 0n ? fil(job.owed) : "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}

/** What jobs owe the account, and the withdraw button with its transaction's state. */
function Owed({ total, jobIds, onDone }: { total: bigint; jobIds: bigint[]; onDone: () => void }) {
  const { chainId, market } = useShoal();
  const write = useWriteContract();
  const receipt = useWaitForTransactionReceipt({ hash: write.data, chainId });
  const mined = receipt.isSuccess && receipt.data.status === "success";
  useEffect(() => {
    if (receipt.isSuccess) onDone();
  }, [receipt.isSuccess, onDone]);
  const busy = write.isPending || (write.data !== undefined && receipt.isPending);

  let status: React.ReactNode = null;
  if (write.isPending) status = "Confirm the withdrawal in your wallet…";
  else if (write.isError) status = <ErrorLine error={write.error} />;
  else if (write.data !== undefined && receipt.isPending) status = <>Withdrawal sent, waiting for its block… <code className="break">{write.data}</code></>;
  else if (receipt.isError) status = <ErrorLine error={receipt.error} />;
  else if (receipt.isSuccess && !mined) status = <ErrorLine error={new Error("The withdrawal transaction reverted; reload and try again.")} />;
  else if (mined) status = `Withdrawn in block ${receipt.data.blockNumber}.`;

  return (
    <div className="card owed" aria-live="polite">
      <h2>Owed to you</h2>
      <p className="big" data-testid="owed-amount" data-wei={String(total)}>
        {fil(total)}
      </p>
      <p className="hint">
        {jobIds.length === 0
          ? "Nothing to withdraw: settled, expired and cancelled jobs that owe you show up here."
          : `From job${jobIds.length === 1 ? "" : "s"} ${jobIds.map((id) => `#${id}`).join(", ")}.`}
      </p>
      <button
        type="button"
        data-testid="withdraw-button"
        disabled={total === 0n || busy}
        onClick={() => write.writeContract({ chainId, address: market, abi: jobMarketAbi, functionName: "withdraw", args: [zeroAddress, jobIds] })}
      >
        {busy ? "Withdrawing…" : "Withdraw"}
      </button>
      {status !== null && (
        <div className="tx-status" data-testid="withdraw-status">
          {status}
        </div>
      )}
    </div>
  );
}
