/**
 * The agent's persistent state, in node:sqlite: the chain cursor, recent block hashes (for reorg
 * detection) and one row per job with its pipeline state. Every state change is a conditional
 * transition (`UPDATE … WHERE state = from`), so two workers, or a worker and a restart, can
 * never both move the same job, and a crash between steps leaves the job in its last state.
 *
 * Durability: WAL with synchronous = NORMAL, so a write survives the agent's crash (kill -9) at
 * once but waits for the next fsync to survive the machine's; the one record that must survive
 * a power cut before the agent goes on, a transaction hash about to be waited for (`recordTx`),
 * is committed with a full fsync, which also makes every earlier write durable. Everything else
 * is re-derived from the chain if lost (the cursor re-reads logs, `addJob` ignores a job it has,
 * each step checks the chain before acting). A full fsync on every write cost 4.7 ms of blocked
 * event loop each on this machine's disk, about 20 per job: the agent's throughput ceiling.
 */
import { DatabaseSync } from "node:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

/** The pipeline's states, in order. Terminal: settled, refused, failed, lost, abandoned. */
export const JOB_STATES = [
  "seen",
  "evaluated",
  "claimed",
  "inputs_ready",
  "executed",
  "committed",
  "revealed",
  "settled",
  "refused",
  "failed",
  "lost",
  "abandoned",
] as const;
export type JobState = (typeof JOB_STATES)[number];
export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(["settled", "refused", "failed", "lost", "abandoned"]);

export type JobRow = {
  jobId: bigint;
  state: JobState;
  /** Block of the JobPosted event (for reorg rewinds). */
  postedBlock: bigint;
  /** The JobPosted request, JSON with bigints as strings. */
  request: string;
  slot: number | undefined;
  /** Binary result CID (0x…) once executed. */
  resultCid: string | undefined;
  /** Why the job was refused, failed or lost. */
  reason: string | undefined;
  /** Transactions sent for this job: kind → hash. */
  txs: Record<string, string>;
  attempts: number;
  updatedAt: number;
};

type RawRow = {
  job_id: string;
  state: string;
  posted_block: string;
  request: string;
  slot: number | null;
  result_cid: string | null;
  reason: string | null;
  txs: string;
  attempts: number;
  updated_at: number;
};

const toRow = (r: RawRow): JobRow => ({
  jobId: BigInt(r.job_id),
  state: r.state as JobState,
  postedBlock: BigInt(r.posted_block),
  request: r.request,
  slot: r.slot ?? undefined,
  resultCid: r.result_cid ?? undefined,
  reason: r.reason ?? undefined,
  txs: JSON.parse(r.txs) as Record<string, string>,
  attempts: r.attempts,
  updatedAt: r.updated_at,
});

export type Store = ReturnType<typeof openStore>;

/** Opens (and migrates) the store at `path` (":memory:" for tests). */
export function openStore(path: string) {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  db.exec(`
    PRAGMA busy_timeout = 5000; -- a busy database (a backup, a status reader) is waited for, not an error
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = NORMAL; -- recordTx commits with FULL: see the header
    CREATE TABLE IF NOT EXISTS cursor (id INTEGER PRIMARY KEY CHECK (id = 1), block TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS blocks (number TEXT PRIMARY KEY, hash TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS jobs (
      job_id TEXT PRIMARY KEY,
      state TEXT NOT NULL,
      posted_block TEXT NOT NULL,
      request TEXT NOT NULL,
      slot INTEGER,
      result_cid TEXT,
      reason TEXT,
      txs TEXT NOT NULL DEFAULT '{}',
      attempts INTEGER NOT NULL DEFAULT 0,
      updated_at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state);
  `);

  const q = {
    getCursor: db.prepare("SELECT block FROM cursor WHERE id = 1"),
    setCursor: db.prepare("INSERT INTO cursor (id, block) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET block = excluded.block"),
    putBlock: db.prepare("INSERT OR REPLACE INTO blocks (number, hash) VALUES (?, ?)"),
    getBlock: db.prepare("SELECT hash FROM blocks WHERE number = ?"),
    blockAtOrBelow: db.prepare("SELECT number, hash FROM blocks WHERE CAST(number AS INTEGER) <= CAST(? AS INTEGER) ORDER BY CAST(number AS INTEGER) DESC LIMIT 1"),
    blocksFrom: db.prepare("DELETE FROM blocks WHERE CAST(number AS INTEGER) >= CAST(? AS INTEGER)"),
    pruneBlocks: db.prepare("DELETE FROM blocks WHERE CAST(number AS INTEGER) < CAST(? AS INTEGER)"),
    insertJob: db.prepare(
      "INSERT OR IGNORE INTO jobs (job_id, state, posted_block, request, updated_at) VALUES (?, 'seen', ?, ?, ?)",
    ),
    getJob: db.prepare("SELECT * FROM jobs WHERE job_id = ?"),
    byStates: db.prepare("SELECT * FROM jobs WHERE state IN (SELECT value FROM json_each(?)) ORDER BY CAST(job_id AS INTEGER)"),
    all: db.prepare("SELECT * FROM jobs ORDER BY CAST(job_id AS INTEGER)"),
    postedAfter: db.prepare("SELECT job_id FROM jobs WHERE CAST(posted_block AS INTEGER) > CAST(? AS INTEGER)"),
    dropPostedAfter: db.prepare("DELETE FROM jobs WHERE CAST(posted_block AS INTEGER) > CAST(? AS INTEGER)"),
    // A commit or reveal may have been in a vanished block: step back so the step checks the
    // chain again (and re-sends only what is not there).
    recordTx: db.prepare("UPDATE jobs SET txs = json_set(txs, ?, ?), updated_at = ? WHERE job_id = ?"),
    bumpAttempts: db.prepare("UPDATE jobs SET attempts = attempts + 1 WHERE job_id = ? RETURNING attempts"),
    resetAttempts: db.prepare("UPDATE jobs SET attempts = 0 WHERE job_id = ? AND attempts <> 0"),
    uncommit: db.prepare("UPDATE jobs SET state = 'executed' WHERE state = 'committed'"),
    unreveal: db.prepare("UPDATE jobs SET state = 'committed' WHERE state = 'revealed'"),
  };

  /** Conditional transitions, one prepared statement per set of patched columns. */
  const transitions = new Map<string, ReturnType<DatabaseSync["prepare"]>>();
  const getMeta = db.prepare("SELECT value FROM meta WHERE key = ?");
  const putMeta = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING");

  return {
    db,
    /**
     * Binds the store to the provider address `provider` on first use (unless `bind` is false, for
     * readers), and throws if it belongs to another: one provider's jobs, slots and transactions
     * are meaningless under another key.
     */
    claimOwner(provider: string, dir: string, { bind = true }: { bind?: boolean } = {}): void {
      if (bind) putMeta.run("provider", provider.toLowerCase());
      const owner = (getMeta.get("provider") as { value: string } | undefined)?.value;
      if (owner !== undefined && owner !== provider.toLowerCase()) {
        throw new Error(`state directory ${dir} belongs to provider ${owner}, not to this key's ${provider}: give each key its own stateDir (--state-dir)`);
      }
    },
    /** Last block fully processed, or undefined on first start. */
    cursor(): bigint | undefined {
      const row = q.getCursor.get() as { block: string } | undefined;
      return row ? BigInt(row.block) : undefined;
    },
    setCursor(block: bigint) {
      q.setCursor.run(block.toString());
    },
    rememberBlock(number: bigint, hash: string, keep: bigint) {
      q.putBlock.run(number.toString(), hash);
      q.pruneBlocks.run((number - keep).toString());
    },
    /** Remembers block `number`'s hash and moves the cursor to it, in one transaction (one commit per sync range). */
    advanceCursor(number: bigint, hash: string | undefined, keep: bigint) {
      db.exec("BEGIN");
      try {
        if (hash) this.rememberBlock(number, hash, keep);
        q.setCursor.run(number.toString());
        db.exec("COMMIT");
      } catch (error) {
        db.exec("ROLLBACK");
        throw error;
      }
    },
    blockHash(number: bigint): string | undefined {
      return (q.getBlock.get(number.toString()) as { hash: string } | undefined)?.hash;
    },
    /** The highest remembered block at or below `number`. */
    blockAtOrBelow(number: bigint): { number: bigint; hash: string } | undefined {
      const row = q.blockAtOrBelow.get(number.toString()) as { number: string; hash: string } | undefined;
      return row ? { number: BigInt(row.number), hash: row.hash } : undefined;
    },
    /**
     * After a reorg back to block `number - 1`: forgets blocks from `number` on and every job posted
     * from then on, whatever the agent did with it (the JobPosted is gone; if the new chain posts a
     * job with that ID, it is a new job), and steps committed and revealed jobs back one state, so
     * their steps look at the new chain before going on. Returns the jobs forgotten.
     */
    rewind(number: bigint): bigint[] {
      db.exec("BEGIN");
      try {
        const dropped = (q.postedAfter.all((number - 1n).toString()) as { job_id: string }[]).map((r) => BigInt(r.job_id));
        q.blocksFrom.run(number.toString());
        q.dropPostedAfter.run((number - 1n).toString());
        q.uncommit.run();
        q.unreveal.run();
        q.setCursor.run((number - 1n).toString());
        db.exec("COMMIT");
        return dropped;
      } catch (error) {
        db.exec("ROLLBACK");
        throw error;
      }
    },
    /** Records a posted job once; returns whether it was new. */
    addJob(jobId: bigint, postedBlock: bigint, request: string): boolean {
      return q.insertJob.run(jobId.toString(), postedBlock.toString(), request, Date.now()).changes > 0;
    },
    job(jobId: bigint): JobRow | undefined {
      const row = q.getJob.get(jobId.toString()) as RawRow | undefined;
      return row ? toRow(row) : undefined;
    },
    jobsIn(states: readonly JobState[]): JobRow[] {
      return (q.byStates.all(JSON.stringify(states)) as RawRow[]).map(toRow);
    },
    allJobs(): JobRow[] {
      return (q.all.all() as RawRow[]).map(toRow);
    },
    /**
     * Moves `jobId` from `from` to `to`, applying `patch`, only if it is still in `from`.
     * Returns false when another step moved it first.
     */
    transition(
      jobId: bigint,
      from: JobState,
      to: JobState,
      patch: { slot?: number; resultCid?: string; reason?: string } = {},
    ): boolean {
      // A new state is a new step: its failed attempts start from zero in the same write.
      const sets = ["state = ?", "updated_at = ?", "attempts = 0"];
      const values: (string | number | null)[] = [to, Date.now()];
      if (patch.slot !== undefined) (sets.push("slot = ?"), values.push(patch.slot));
      if (patch.resultCid !== undefined) (sets.push("result_cid = ?"), values.push(patch.resultCid));
      if (patch.reason !== undefined) (sets.push("reason = ?"), values.push(patch.reason));
      const sql = `UPDATE jobs SET ${sets.join(", ")} WHERE job_id = ? AND state = ?`;
      let stmt = transitions.get(sql);
      if (!stmt) transitions.set(sql, (stmt = db.prepare(sql)));
      return stmt.run(...values, jobId.toString(), from).changes > 0;
    },
    /** Records the hash of a transaction sent for `jobId` (before waiting for it), durably: a full fsync, see the header. */
    recordTx(jobId: bigint, kind: string, hash: string) {
      if (!/^\w+$/.test(kind)) throw new Error(`transaction kind ${kind} must be a word`);
      db.exec("PRAGMA synchronous = FULL");
      try {
        q.recordTx.run(`$.${kind}`, hash, Date.now(), jobId.toString());
      } finally {
        db.exec("PRAGMA synchronous = NORMAL");
      }
    },
    /** Counts a failed attempt at the current step; returns the new count. */
    bumpAttempts(jobId: bigint): number {
      return (q.bumpAttempts.get(jobId.toString()) as { attempts: number } | undefined)?.attempts ?? 0;
    },
    resetAttempts(jobId: bigint) {
      q.resetAttempts.run(jobId.toString());
    },
    close() {
      db.close();
    },
  };
}
