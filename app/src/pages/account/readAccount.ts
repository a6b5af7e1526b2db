import { type Address, type Client, encodeEventTopics, pad, parseEventLogs } from "viem";
import { getJob, getLogsChunked, getOwedJobs, type JobStatus, jobMarketAbi } from "@shoal/sdk";

export type MyJob = {
  jobId: bigint;
  /** What the account did in the job: posted it (client) or claimed one of its slots (provider). */
  roles: ("client" | "provider")[];
  status: JobStatus;
  replicas: number;
  quorum: number;
  claimed: number;
  price: bigint;
  /** What the job owes the account now (0n once withdrawn or while the job runs). */
  owed: bigint;
};

export type AccountData = { jobs: MyJob[]; owed: { jobId: bigint; amount: bigint }[]; total: bigint };

/**
 * The account's jobs (posted by it: JobPosted with it as client; worked on: SlotClaimed with it
 * as provider), newest first, with each job's state, and what jobs owe it (the SDK's getOwedJobs).
 */
export async function readAccount(
  client: Client,
  { account, market, fromBlock }: { account: Address; market: Address; fromBlock: bigint },
): Promise<AccountData> {
  const topic = pad(account);
  const [posted] = encodeEventTopics({ abi: jobMarketAbi, eventName: "JobPosted" });
  const [claimed] = encodeEventTopics({ abi: jobMarketAbi, eventName: "SlotClaimed" });
  const [postedLogs, claimedLogs, owed] = await Promise.all([
    getLogsChunked(client, { address: market, fromBlock, topics: [posted!, null, topic] }),
    getLogsChunked(client, { address: market, fromBlock, topics: [claimed!, null, topic] }),
    getOwedJobs(client, { account, market, fromBlock }),
  ]);
  const roles = new Map<bigint, Set<"client" | "provider">>();
  const add = (jobId: bigint, role: "client" | "provider") => roles.set(jobId, (roles.get(jobId) ?? new Set()).add(role));
  for (const log of parseEventLogs({ abi: jobMarketAbi, logs: postedLogs, eventName: "JobPosted" })) add(log.args.jobId, "client");
  for (const log of parseEventLogs({ abi: jobMarketAbi, logs: claimedLogs, eventName: "SlotClaimed" })) add(log.args.jobId, "provider");
  const owedBy = new Map(owed.map((o) => [o.jobId, o.amount]));
  const ids = [...roles.keys()].sort((a, b) => (a < b ? 1 : -1));
  const jobs = await Promise.all(
    ids.map(async (jobId): Promise<MyJob> => {
      const job = await getJob(client, { jobId, market });
      return {
        jobId,
        roles: [...roles.get(jobId)!],
        status: job.status,
        replicas: job.replicas,
        quorum: job.quorum,
        claimed: job.claimed,
        price: job.price,
        owed: owedBy.get(jobId) ?? 0n,
      };
    }),
  );
  return { jobs, owed, total: owed.reduce((sum, o) => sum + o.amount, 0n) };
}
