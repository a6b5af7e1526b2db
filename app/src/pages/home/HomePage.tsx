// Recent jobs, newest first, from the market's JobPosted events (scanned backwards from the head
// in ranges FEVM endpoints accept), with each job's current state.
import { getJob, getLogsChunked, jobMarketAbi, MAX_LOG_RANGE } from "@shoal/sdk";
import { useQuery } from "@tanstack/react-query";
import { encodeEventTopics, type PublicClient, parseEventLogs } from "viem";
import { usePublicClient } from "wagmi";
import { AddressLink } from "../../components/AddressLink";
import { Empty, ErrorLine, Loading } from "../../components/States";
import { useShoal } from "../../lib/config";
import { formatFil } from "../../lib/format";
import { href } from "../../lib/router";

const WANTED = 20;
/** How far back to look: this many log ranges (20,000 blocks, about a week on Filecoin). */
const MAX_RANGES = 10n;

export default function HomePage() {
  const { chainId, market, fromBlock, pollingInterval } = useShoal();
  const client = usePublicClient({ chainId }) as PublicClient | undefined;
  const jobs = useQuery({
    queryKey: ["shoal", "recentJobs", chainId, market],
    enabled: client !== undefined,
    refetchInterval: pollingInterval * 4,
    queryFn: async () => {
      const head = await client!.getBlockNumber({ cacheTime: 0 });
      const topics = encodeEventTopics({ abi: jobMarketAbi, eventName: "JobPosted" });
      const posted: { jobId: bigint; client: `0x${string}`; replicas: number; quorum: number; price: bigint; blockNumber: bigint }[] = [];
      let to = head;
      for (let i = 0n; i < MAX_RANGES && to >= fromBlock && posted.length < WANTED; i++) {
        const from = to - MAX_LOG_RANGE + 1n > fromBlock ? to - MAX_LOG_RANGE + 1n : fromBlock;
        const logs = await getLogsChunked(client!, { address: market, fromBlock: from, toBlock: to, topics: topics as `0x${string}`[] });
        const parsed = parseEventLogs({ abi: jobMarketAbi, eventName: "JobPosted", logs });
        for (const log of parsed.reverse())
          posted.push({
            jobId: log.args.jobId,
            client: log.args.client,
            replicas: log.args.request.replicas,
            quorum: log.args.request.quorum,
            price: log.args.request.price,
            blockNumber: log.blockNumber ?? 0n,
          });
        to = from - 1n;
      }
      const recent = posted.slice(0, WANTED);
      const states = await Promise.all(recent.map((p) => getJob(client!, { jobId: p.jobId, market }).then((j) => j.status, () => "?")));
      return recent.map((p, i) => ({ ...p, status: states[i]! }));
    },
  });

  return (
    <>
      <div className="row" style={{ justifyContent: "space-between" }}>
        <h1>Recent jobs</h1>
        <a className="button" href={href.newJob}>
          New job
        </a>
      </div>
      {jobs.isPending ? (
        <Loading label="Loading recent jobs…" />
      ) : jobs.error ? (
        <ErrorLine error={jobs.error} onRetry={() => void jobs.refetch()} />
      ) : jobs.data.length === 0 ? (
        <Empty>
          No jobs yet on this chain. <a href={href.newJob}>Post the first one</a>.
        </Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">State</th>
                <th scope="col">Replicas</th>
                <th scope="col">Price</th>
                <th scope="col">Client</th>
              </tr>
            </thead>
            <tbody>
              {jobs.data.map((j) => (
                <tr key={j.jobId.toString()} data-testid="job-row">
                  <td>
                    <a href={href.job(j.jobId)}>Job {j.jobId.toString()}</a>
                  </td>
                  <td>{j.status}</td>
                  <td>
                    {j.replicas} (quorum {j.quorum})
                  </td>
                  <td>{formatFil(j.price)}</td>
                  <td>
                    <AddressLink address={j.client} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
