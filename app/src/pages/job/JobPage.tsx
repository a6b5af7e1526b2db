// One job, live: its state, a timeline per slot (claimed with its locality proof, committed,
// revealed, slashed or reopened), quorum and settlement, gas per step, and the verified result.
import { JobNotFoundError } from "@shoal/sdk";
import { AddressLink } from "../../components/AddressLink";
import { Empty, ErrorLine, Loading } from "../../components/States";
import { formatDuration, formatFil, formatTime } from "../../lib/format";
import { href } from "../../lib/router";
import { quorumProgress, type SlotTimeline, slotTimelines } from "../../lib/timeline";
import { ResultView } from "./ResultView";
import { type TxInfo, useJobActivity } from "./useJobActivity";

const STATE_CLASS: Record<string, string> = { Settled: "ok", Failed: "bad", Expired: "bad", Cancelled: "warn", Open: "", Revealing: "warn" };
const STEP_WORDS: Record<string, string> = {
  claimed: "claimed the slot",
  committed: "committed its result (hash + seal)",
  revealed: "revealed its result",
  reopened: "missed its commit window: slot reopened",
  slashed: "slashed (collateral lost)",
  paid: "paid",
};

export default function JobPage({ jobId }: { jobId: bigint }) {
  const { job, events, watchError, txs } = useJobActivity(jobId);

  if (job.isPending) return <Loading label={`Loading job ${jobId}…`} />;
  if (job.error) {
    if (job.error instanceof JobNotFoundError)
      return (
        <Empty>
          There is no job {jobId.toString()} on this chain. <a href={href.home}>See the recent jobs</a>.
        </Empty>
      );
    return <ErrorLine error={job.error} onRetry={() => void job.refetch()} />;
  }
  const j = job.data;
  const slots = slotTimelines(j.replicas, events);
  const q = quorumProgress(events);
  const finalized = events.find((e) => e.type === "finalized");
  const steps = gasSteps(events.map((e) => e.transactionHash), txs);

  return (
    <>
      <h1>
        Job {jobId.toString()}{" "}
        <span className={`badge ${STATE_CLASS[j.status] ?? ""}`} data-testid="job-state">
          {j.status}
        </span>
      </h1>
      {watchError ? <ErrorLine error={watchError} /> : null}
      <div className="card">
        <dl className="facts">
          <dt>Client</dt>
          <dd>
            <AddressLink address={j.client} />
          </dd>
          <dt>Replicas</dt>
          <dd>
            {j.replicas} ({j.claimed} claimed), quorum {j.quorum}
          </dd>
          <dt>Price</dt>
          <dd>
            {formatFil(j.price)} per replica; collateral {formatFil(j.collateral)} per slot
          </dd>
          <dt>Locality</dt>
          <dd>{j.locality ? "claimants prove they store the input" : "not required"}</dd>
          <dt>Windows</dt>
          <dd>
            commit {formatDuration(j.commitWindow)}, reveal {formatDuration(j.revealWindow)}; deadline {formatTime(j.deadline)}
          </dd>
        </dl>
      </div>

      <h2>Slots</h2>
      <ol className="timeline">
        {slots.map((s) => (
          <SlotCard key={s.slot} slot={s} txs={txs} open={j.status === "Open"} />
        ))}
      </ol>

      <h2>Quorum and settlement</h2>
      <div className="card">
        <p data-testid="quorum">
          {q.reached || j.consensusAt > 0
            ? `Quorum reached: ${j.quorum} matching commits${j.consensusAt > 0 ? ` at ${formatTime(j.consensusAt)}` : ""}; ${q.reveals} revealed.`
            : `Waiting for ${j.quorum} matching commits: ${q.commits} of ${j.replicas} slots committed.`}
        </p>
        <p data-testid="settlement">{settlementText(j.status, j.winners.length, j.price, finalized?.type === "finalized" ? finalized.slashedMask : 0)}</p>
      </div>

      <h2>Gas per step</h2>
      {steps.rows.length === 0 ? (
        <Empty>No transactions yet.</Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col">Transactions</th>
                <th scope="col">Gas</th>
              </tr>
            </thead>
            <tbody>
              {steps.rows.map((r) => (
                <tr key={r.step} data-testid={`gas-${r.step}`}>
                  <td>{r.step}</td>
                  <td>{r.count}</td>
                  <td>{r.gas.toLocaleString()}</td>
                </tr>
              ))}
              <tr data-testid="gas-total">
                <th scope="row">total</th>
                <td>{steps.rows.reduce((n, r) => n + r.count, 0)}</td>
                <td>{steps.total.toLocaleString()}</td>
              </tr>
            </tbody>
          </table>
        </div>
      )}

      {j.resultCid ? (
        <ResultView jobId={jobId} resultCid={j.resultCid} />
      ) : (
        <>
          <h2>Result</h2>
          <Empty>{j.status === "Open" || j.status === "Revealing" ? "The result appears here once the job settles." : "This job has no result."}</Empty>
        </>
      )}
    </>
  );
}

function SlotCard({ slot, txs, open }: { slot: SlotTimeline; txs: Map<`0x${string}`, TxInfo>; open: boolean }) {
  return (
    <li className="slot" data-testid={`slot-${slot.slot}`} data-state={slot.state}>
      <div className="row">
        <strong>Slot {slot.slot}</strong>
        <span className="badge">{slot.state}</span>
        {slot.provider ? <AddressLink address={slot.provider} /> : null}
      </div>
      {slot.steps.length === 0 ? (
        <span className="hint">{open ? "Waiting for a provider to claim it." : "Never claimed."}</span>
      ) : (
        <ol>
          {slot.steps.map((step, i) => {
            const info = txs.get(step.transactionHash);
            const proofs = step.kind === "claimed" ? info?.proofs : undefined;
            return (
              <li key={i}>
                {step.provider ? <AddressLink address={step.provider} /> : null} {STEP_WORDS[step.kind]}
                {proofs && proofs.length > 0 ? <> with locality proof: {proofs.join("; ")}</> : null}
                {step.kind === "claimed" && info?.step === "claimAndCommit" ? " and committed in the same transaction" : null} (block {step.blockNumber.toString()}
                {info && step.kind !== "slashed" && step.kind !== "paid" && !(step.kind === "committed" && info.step === "claimAndCommit") ? `, ${info.gasUsed.toLocaleString()} gas` : ""})
              </li>
            );
          })}
        </ol>
      )}
    </li>
  );
}

function settlementText(status: string, winners: number, price: bigint, slashedMask: number): string {
  const slashed = countBits(slashedMask);
  switch (status) {
    case "Settled":
      return `Settled: ${winners} provider${winners === 1 ? "" : "s"} owed ${formatFil(price)} each${slashed ? `, ${slashed} slashed` : ""}; the rest of the escrow is owed back to the client (withdraw on My jobs).`;
    case "Failed":
      return "Failed: the quorum did not reveal in time; the client is refunded and the group slashed.";
    case "Expired":
      return "Expired: no quorum before the deadline; the escrow is owed back to the client.";
    case "Cancelled":
      return "Cancelled before any claim; the escrow is owed back to the client.";
    case "Revealing":
      return "Not settled yet: the quorum is revealing.";
    default:
      return "Not settled yet.";
  }
}

function countBits(n: number): number {
  let c = 0;
  for (let x = n; x; x &= x - 1) c++;
  return c;
}

/** Gas per step (submit, claim, commit, claimAndCommit, reveal, finalize…), each transaction once. */
function gasSteps(hashes: readonly `0x${string}`[], txs: Map<`0x${string}`, TxInfo>) {
  const rows = new Map<string, { step: string; count: number; gas: bigint }>();
  let total = 0n;
  for (const hash of new Set(hashes)) {
    const info = txs.get(hash);
    if (!info) continue;
    const row = rows.get(info.step) ?? { step: info.step, count: 0, gas: 0n };
    row.count++;
    row.gas += info.gasUsed;
    rows.set(info.step, row);
    total += info.gasUsed;
  }
  return { rows: [...rows.values()], total };
}
