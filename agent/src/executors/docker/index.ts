export {
  createDockerExecutor,
  DockerExecutionError,
  DockerExecutor,
  type DockerExecutorOptions,
  type DockerRunTimings,
  removeOrphans,
} from "./executor.js";
export { buildContainerOptions, LABEL_AGENT, LABEL_JOB } from "./container.js";
export { canonicalRepository, type ImagePolicy, type ImageRef, parseImageRef } from "./image.js";
