export { type PipelineSpecInput, sinks, type StepInput, topologicalOrder } from "./graph.js";
export {
  type PipelineProgress,
  type PipelineStep,
  submitPipeline,
  type SubmitPipelineErrorType,
  type SubmitPipelineParameters,
  type SubmitPipelineReturnType,
} from "./submitPipeline.js";
export {
  waitForPipeline,
  type WaitForPipelineErrorType,
  type WaitForPipelineParameters,
  type WaitForPipelineReturnType,
} from "./waitForPipeline.js";
