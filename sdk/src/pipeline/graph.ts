import { InvalidPipelineError } from "../errors/pipeline.js";
import type { SpecInput } from "../spec/schema.js";

/** One input of a spec as written. */
export type SpecInputItem = NonNullable<SpecInput["inputs"]>[number];
/** An input that takes another step's result, mounted read-only as a directory (or file) at `mount`. */
export type StepInput = { step: string; mount: string };
/** A spec whose inputs may name other steps of the same pipeline. */
export type PipelineSpecInput = Omit<SpecInput, "inputs"> & { inputs?: (SpecInputItem | StepInput)[] | undefined };

export function isStepInput(input: SpecInputItem | StepInput): input is StepInput {
  return typeof (input as StepInput).step === "string";
}

/** The steps each step takes results from. */
export function stepDependencies(spec: PipelineSpecInput): string[] {
  return (spec.inputs ?? []).filter(isStepInput).map((input) => input.step);
}

/**
 * The steps in an order where each comes after every step it takes results from (Kahn's
 * algorithm; ties keep the declaration order). Throws InvalidPipelineError for an unknown step,
 * a step that takes its own result, or a cycle.
 */
export function topologicalOrder(steps: Readonly<Record<string, { spec: PipelineSpecInput }>>): string[] {
  const names = Object.keys(steps);
  if (names.length === 0) throw new InvalidPipelineError({ reason: "it has no steps" });
  const deps = new Map(names.map((name) => [name, new Set(stepDependencies(steps[name]!.spec))]));
  for (const [name, of] of deps) {
    for (const dep of of) {
      if (!deps.has(dep)) throw new InvalidPipelineError({ reason: `step "${name}" takes the result of "${dep}", which is not a step` });
      if (dep === name) throw new InvalidPipelineError({ reason: `step "${name}" takes its own result` });
    }
  }
  const order: string[] = [];
  const done = new Set<string>();
  while (order.length < names.length) {
    const next = names.find((name) => !done.has(name) && [...deps.get(name)!].every((dep) => done.has(dep)));
    if (next === undefined) {
      const stuck = names.filter((name) => !done.has(name));
      throw new InvalidPipelineError({ reason: `steps ${stuck.map((s) => `"${s}"`).join(", ")} form a cycle` });
    }
    order.push(next);
    done.add(next);
  }
  return order;
}

/** The steps no other step takes a result from: what a pipeline run is for. */
export function sinks(steps: Readonly<Record<string, { spec: PipelineSpecInput }>>): string[] {
  const used = new Set(Object.values(steps).flatMap((step) => stepDependencies(step.spec)));
  return Object.keys(steps).filter((name) => !used.has(name));
}

/** The spec with each step input replaced by a job input naming that step's job. */
export function bindSpec(spec: PipelineSpecInput, jobIds: (step: string) => bigint): SpecInput {
  if (spec.inputs === undefined) return spec as SpecInput;
  return {
    ...spec,
    inputs: spec.inputs.map((input) => (isStepInput(input) ? { job: jobIds(input.step).toString(), mount: input.mount } : input)),
  };
}
