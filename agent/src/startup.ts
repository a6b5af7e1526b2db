/**
 * Crash recovery, its own step at startup (after Bacalhau's compute/startup.go): report what the
 * store holds, drop half-written execution directories (a job interrupted mid-run is run again
 * from `inputs_ready`: its output was never committed), and remove containers a killed agent left
 * behind. The pipeline then resumes every non-terminal job from its recorded state.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "./context.js";
import type { Executor } from "./executors/types.js";
import { JOB_STATES, type Store } from "./store/store.js";

export async function recover(o: { store: Store; logger: Logger; workDir: string; executors: ReadonlyMap<string, Executor> }) {
  const counts: Record<string, number> = {};
  for (const state of JOB_STATES) counts[state] = o.store.jobsIn([state]).length;
  await rm(join(o.workDir, "jobs"), { recursive: true, force: true });
  for (const executor of o.executors.values()) {
    const cleaner = (executor as Executor & { removeOrphans?: () => Promise<unknown[]> }).removeOrphans;
    if (cleaner) {
      const removed = await cleaner.call(executor).catch(() => []);
      if (removed.length) o.logger.warn({ removed }, "removed containers left by a previous run");
    }
  }
  o.logger.info({ cursor: o.store.cursor()?.toString() ?? null, jobs: counts }, "recovered state");
}
