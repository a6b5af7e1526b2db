/**
 * The one context passed everywhere (after Ponder's common object): logger, metrics, options and
 * the shutdown signal. No singletons: tests build as many agents in one process as they like.
 */
import { pino, type Logger as PinoLogger } from "pino";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export type Logger = PinoLogger;

export function createMetrics() {
  const registry = new Registry();
  return {
    registry,
    jobsSeen: new Counter({ name: "shoal_jobs_seen_total", help: "Jobs seen on chain", registers: [registry] }),
    jobsRefused: new Counter({ name: "shoal_jobs_refused_total", help: "Jobs refused by policy, by reason", labelNames: ["reason"], registers: [registry] }),
    jobsByState: new Counter({ name: "shoal_job_transitions_total", help: "Pipeline transitions, by target state", labelNames: ["state"], registers: [registry] }),
    jobsFailed: new Counter({ name: "shoal_jobs_failed_total", help: "Jobs failed, by reason code", labelNames: ["code"], registers: [registry] }),
    txSent: new Counter({ name: "shoal_tx_sent_total", help: "Transactions sent, by kind", labelNames: ["kind"], registers: [registry] }),
    inputBytes: new Counter({
      name: "shoal_input_bytes_total",
      help: "Bytes of inputs made available to jobs, by kind (piece, cid) and source (piece-directory reads the provider's own store; the others came over the network)",
      labelNames: ["kind", "source"],
      registers: [registry],
    }),
    inputBytesCopied: new Counter({
      name: "shoal_input_bytes_copied_total",
      help: "Bytes the agent wrote to its cache to make inputs available (downloads, Fr32 conversions, CID trees); a stored piece mounted in place adds 0",
      labelNames: ["kind", "source"],
      registers: [registry],
    }),
    pieceVerifications: new Counter({
      name: "shoal_piece_verifications_total",
      help: "CommP verifications of stored pieces where they lie, by result (ok, INPUT_CORRUPT: never mounted again until the file changes, INPUT_CHANGED, INPUT_UNAVAILABLE)",
      labelNames: ["result"],
      registers: [registry],
    }),
    pieceVerifiedBytes: new Counter({ name: "shoal_piece_verified_bytes_total", help: "Bytes of stored pieces hashed by verifications that passed", registers: [registry] }),
    piecesFailed: new Gauge({ name: "shoal_pieces_failed_verification", help: "Stored piece files whose last verification failed and that are unchanged since", registers: [registry] }),
    running: new Gauge({ name: "shoal_jobs_running", help: "Jobs executing now", registers: [registry] }),
    waitingForCapacity: new Gauge({
      name: "shoal_jobs_waiting_capacity",
      help: "Jobs this agent would take but leaves unclaimed for now: the slots it holds already fill what its executors can finish within a commit window",
      registers: [registry],
    }),
    waitingOnJobs: new Gauge({ name: "shoal_jobs_waiting_dependency", help: "Jobs waiting for a job they take as input to settle", registers: [registry] }),
    chainUp: new Gauge({ name: "shoal_chain_up", help: "1 when the last chain sync pass got answers from the RPC, else 0", registers: [registry] }),
    chainSyncFailures: new Counter({ name: "shoal_chain_sync_failures_total", help: "Chain sync passes that failed (RPC unreachable, errors)", registers: [registry] }),
    chainSubscriptionUp: new Gauge({ name: "shoal_chain_subscription_up", help: "1 while the new-heads subscription (chain.wsUrl) is live, else 0 (polling only)", registers: [registry] }),
    chainSyncPasses: new Counter({ name: "shoal_chain_sync_passes_total", help: "Chain sync passes, by what started them (start, head, poll, retry)", labelNames: ["trigger"], registers: [registry] }),
    chainCursor: new Gauge({ name: "shoal_chain_cursor_block", help: "Last block the agent has read events up to", registers: [registry] }),
    execSeconds: new Histogram({ name: "shoal_execution_seconds", help: "Execution wall time", labelNames: ["engine"], registers: [registry] }),
    postedToCommitSeconds: new Histogram({
      name: "shoal_posted_to_commit_seconds",
      help: "Agent overhead: JobPosted seen to commit sent, excluding execution",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;

export function createLogger(level = "info", destination?: NodeJS.WritableStream): Logger {
  // Keys never reach the logger: redact anything that looks like one anyway.
  return pino({ level, redact: ["privateKey", "*.privateKey", "password", "*.password"] }, destination as never);
}
