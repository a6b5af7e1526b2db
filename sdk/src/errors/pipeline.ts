import { ShoalError } from "./base.js";

/** A pipeline's steps do not form a DAG of known steps: an unknown step name, a cycle, or no steps. */
export class InvalidPipelineError extends ShoalError {
  constructor({ reason }: { reason: string }) {
    super(`Invalid pipeline: ${reason}.`, {
      metaMessages: ['A step takes another step\'s result with an input { step: "<name>", mount: "/inputs/…" }; steps must form a DAG.'],
      docsPath: "docs/job-spec.md#pipelines",
      name: "InvalidPipelineError",
    });
  }
}
export type InvalidPipelineErrorType = InvalidPipelineError & { name: "InvalidPipelineError" };

/** Posting a step failed: the steps posted before it are listed, so they can be cancelled or awaited. */
export class PipelineSubmitError extends ShoalError {
  readonly step: string;
  readonly posted: Readonly<Record<string, bigint>>;
  constructor({ step, posted, cause }: { step: string; posted: Record<string, bigint>; cause: unknown }) {
    const list = Object.entries(posted).map(([name, id]) => `${name} = job ${id}`);
    super(`Posting pipeline step "${step}" failed${list.length ? ` after posting ${list.join(", ")}` : " before any step was posted"}.`, {
      cause,
      metaMessages: list.length ? ["Cancel the posted jobs (cancelJob) while unclaimed, or wait for them."] : undefined,
      name: "PipelineSubmitError",
    });
    this.step = step;
    this.posted = posted;
  }
}
export type PipelineSubmitErrorType = PipelineSubmitError & { name: "PipelineSubmitError" };

/** A step ended without a result (expired, cancelled or failed), so the steps that take its result cannot run. */
export class PipelineStepFailedError extends ShoalError {
  readonly step: string;
  readonly jobId: bigint;
  constructor({ step, jobId, cause }: { step: string; jobId: bigint; cause: unknown }) {
    const why = cause instanceof ShoalError ? cause.shortMessage : cause instanceof Error ? cause.message : String(cause);
    super(`Pipeline step "${step}" (job ${jobId}) has no result: ${why}`, {
      cause,
      metaMessages: ["Steps that take its result are refused by providers and expire; re-post them with a new run."],
      name: "PipelineStepFailedError",
    });
    this.step = step;
    this.jobId = jobId;
  }
}
export type PipelineStepFailedErrorType = PipelineStepFailedError & { name: "PipelineStepFailedError" };
