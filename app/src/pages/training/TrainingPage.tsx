import { useQueries, useQuery } from "@tanstack/react-query";
import type { Address } from "viem";
import { usePublicClient } from "wagmi";
import { Empty, ErrorLine, Loading } from "../../components/States";
import { useShoal } from "../../lib/config";
import { AccuracyChart } from "./AccuracyChart";
import "../providers/providers.css";
import "./training.css";
import { type Metrics, readMetrics, readRun, readRuns, type RunDetail } from "./readTraining";

/** Federated training runs: the coordinators (no address), or one coordinator's runs, rounds and accuracy. */
export default function TrainingPage({ coordinator }: { coordinator?: Address }) {
  return (
    <section className="page page-training" aria-labelledby="training-title">
      <h1 id="training-title">Training runs</h1>
      {coordinator === undefined ? <Coordinators /> : <Coordinator address={coordinator} />}
    </section>
  );
}

function Coordinators() {
  const { chainId, federated = [], fromBlock, pollingInterval } = useShoal();
  const client = usePublicClient({ chainId });
  const query = useQuery({
    queryKey: ["shoal", "training", "runs", chainId, federated],
    queryFn: async () => Promise.all(federated.map(async (address) => ({ address, runs: await readRuns(client!, address, fromBlock) }))),
    enabled: client !== undefined && federated.length > 0,
    refetchInterval: pollingInterval,
  });
  if (federated.length === 0) return <Empty>No FederatedAveraging coordinator is configured for this chain.</Empty>;
  if (query.isPending) return <Loading label="Reading the coordinators' runs" />;
  if (query.isError && query.data === undefined) return <ErrorLine error={query.error} onRetry={() => void query.refetch()} />;
  return (
    <>
      <p className="lead">Models trained where the data lives: each round trains on every shard, averages the updates and tests the result.</p>
      <ul className="cards" aria-label="Coordinators">
        {query.data.map(({ address, runs }) => (
          <li key={address} className="card" data-testid="coordinator-row">
            <h2>
              <a className="mono break" href={`#/training/${address}`}>
                {address}
              </a>
            </h2>
            <p>{runs.length === 0 ? "No run started yet." : `${runs.length} run${runs.length === 1 ? "" : "s"}, the latest with ${runs[0]!.rounds} round${runs[0]!.rounds === 1 ? "" : "s"} over ${runs[0]!.shards} shard${runs[0]!.shards === 1 ? "" : "s"}.`}</p>
          </li>
        ))}
      </ul>
    </>
  );
}

function Coordinator({ address }: { address: Address }) {
  const { chainId, fromBlock, pollingInterval } = useShoal();
  const client = usePublicClient({ chainId });
  const runs = useQuery({
    queryKey: ["shoal", "training", "coordinator", chainId, address],
    queryFn: async () => {
      const list = await readRuns(client!, address, fromBlock);
      return Promise.all(list.map((run) => readRun(client!, address, run.runId)));
    },
    enabled: client !== undefined,
    refetchInterval: pollingInterval,
  });
  return (
    <>
      <p>
        <a href="#/training">← All coordinators</a>
      </p>
      <p className="mono break">Coordinator {address}</p>
      {runs.isPending ? (
        <Loading label="Reading the runs" />
      ) : runs.isError && runs.data === undefined ? (
        <ErrorLine error={runs.error} onRetry={() => void runs.refetch()} />
      ) : runs.data.length === 0 ? (
        <Empty>This coordinator has not started a run yet.</Empty>
      ) : (
        <>
          {runs.isError && <ErrorLine error={runs.error} onRetry={() => void runs.refetch()} />}
          {runs.data.map((run) => (
            <Run key={String(run.runId)} run={run} />
          ))}
        </>
      )}
    </>
  );
}

function Run({ run }: { run: RunDetail }) {
  const { chainId, market, registry } = useShoal();
  const client = usePublicClient({ chainId });
  // A settled evaluation never changes: each round's metrics are read (and verified) once.
  const metrics = useQueries({
    queries: run.history.map((round) => ({
      queryKey: ["shoal", "training", "metrics", chainId, round.metricsCid],
      queryFn: () => readMetrics(client!, { market, registry, jobId: round.evaluateJob! }),
      enabled: client !== undefined && round.metricsCid !== undefined && round.evaluateJob !== undefined,
      staleTime: Number.POSITIVE_INFINITY,
    })),
  });
  const accuracy = (i: number): Metrics | undefined => metrics[i]?.data;
  const failed = metrics.find((m) => m.isError);
  const done = run.history.filter((r) => r.metricsCid !== undefined).length;
  return (
    <article className="card run" aria-labelledby={`run-${run.runId}`} data-testid="training-run" data-run={String(run.runId)} data-phase={run.phase}>
      <h2 id={`run-${run.runId}`}>
        Run #{String(run.runId)} <span className={`badge ${run.phase === "Done" ? "ok" : run.phase === "Failed" ? "bad" : "warn"}`}>{run.phase}</span>
      </h2>
      <p>
        {done} of {run.rounds} rounds evaluated · {run.shards} shard{run.shards === 1 ? "" : "s"} · owner <span className="mono break">{run.owner}</span>
      </p>
      <AccuracyChart title={`Run ${run.runId} test accuracy`} rounds={run.rounds} points={run.history.map((_, i) => ({ round: i + 1, accuracy: accuracy(i)?.accuracy }))} />
      {failed?.error && <ErrorLine error={failed.error} onRetry={() => void failed.refetch()} />}
      <div className="table-wrap">
        <table className="rounds stack">
          <thead>
            <tr>
              <th scope="col">Round</th>
              <th scope="col">Test accuracy</th>
              <th scope="col">Model CID</th>
              <th scope="col">Jobs</th>
            </tr>
          </thead>
          <tbody>
            {run.history.map((round, i) => (
              <tr key={i} data-testid="training-round" data-round={i + 1}>
                <td data-label="Round">{i + 1}</td>
                <td data-label="Test accuracy" data-testid="round-accuracy">
                  {round.metricsCid === undefined
                    ? "training…"
                    : metrics[i]?.isPending
                      ? "verifying…"
                      : accuracy(i)
                        ? `${(accuracy(i)!.accuracy * 100).toFixed(2)} %`
                        : "unavailable"}
                </td>
                <td data-label="Model CID">
                  <span className="mono break" data-testid="round-model">
                    {round.modelCid ?? "—"}
                  </span>
                </td>
                <td data-label="Jobs">
                  <span className="jobs-links">
                  {round.trainJobs.map((id) => (
                    <a key={String(id)} href={`#/jobs/${id}`} title="training job">
                      #{String(id)}
                    </a>
                  ))}
                  {round.aggregateJob !== undefined && (
                    <a href={`#/jobs/${round.aggregateJob}`} title="aggregation job">
                      avg #{String(round.aggregateJob)}
                    </a>
                  )}
                  {round.evaluateJob !== undefined && (
                    <a href={`#/jobs/${round.evaluateJob}`} title="evaluation job">
                      test #{String(round.evaluateJob)}
                    </a>
                  )}
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </article>
  );
}
