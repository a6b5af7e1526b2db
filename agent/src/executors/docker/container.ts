/**
 * The container a job runs in, as one pure function of the request (Bacalhau's
 * pkg/executor/docker handler builds its container config the same way): easy to read, and
 * tested without an engine.
 */
import type Dockerode from "dockerode";

import type { MountedInput } from "../types.js";
import type { DockerEngine, Spec } from "@shoal/sdk";

/** Labels on every job container: a restarted agent finds its orphans by them. */
export const LABEL_JOB = "shoal.job";
export const LABEL_AGENT = "shoal.agent";

export type ContainerSettings = {
  /** Image ID (`sha256:…`) of the resolved, pinned image: the container runs exactly that. */
  imageId: string;
  /** `uid:gid` the job runs as (never root). */
  user: string;
  pidsLimit: number;
  /** Size of the /tmp tmpfs (counted in the job's memory); 0: none. */
  tmpfsBytes: number;
  /** GPUs to request (0: none); the caller has checked the provider has them. */
  gpus: number;
  /** Value of the shoal.agent label (one engine may serve several agents). */
  agent: string;
  /**
   * The size-limited output volume (holder.ts) mounted at `spec.outputs.path`. Its tmpfs pages
   * count in the job's memory limit, like /tmp's. Absent: the output directory is bind-mounted
   * (the polled fallback).
   */
  outputVolume?: string | undefined;
};

export function containerName(jobId: bigint, suffix: string): string {
  return `shoal-job-${jobId}-${suffix}`;
}

/**
 * `command` replaces the image's ENTRYPOINT (and so its CMD); `args` replace its CMD. With neither,
 * the image's own ENTRYPOINT and CMD run.
 */
export function buildContainerOptions(
  request: { jobId: bigint; spec: Spec; inputs: readonly MountedInput[]; outputDir: string },
  settings: ContainerSettings,
  name: string,
): Dockerode.ContainerCreateOptions {
  const { spec } = request;
  const engine = spec.engine as DockerEngine;
  const mib = 1024 * 1024;
  const memory = spec.resources.memoryMb * mib;
  const env = Object.keys(engine.env)
    .sort()
    .map((key) => `${key}=${engine.env[key]}`);
  const mounts: Dockerode.MountSettings[] = [
    ...request.inputs.map(
      (input): Dockerode.MountSettings => ({
        Type: "bind",
        Source: input.hostPath,
        Target: input.mount,
        ReadOnly: true,
        BindOptions: { Propagation: "rprivate" },
      }),
    ),
    settings.outputVolume
      ? volumeMount(settings.outputVolume, spec.outputs.path, false)
      : { Type: "bind", Source: request.outputDir, Target: spec.outputs.path, ReadOnly: false, BindOptions: { Propagation: "rprivate" } },
  ];
  const options: Dockerode.ContainerCreateOptions = {
    name,
    Image: settings.imageId,
    User: settings.user,
    Env: env,
    Labels: { [LABEL_JOB]: request.jobId.toString(), [LABEL_AGENT]: settings.agent },
    NetworkDisabled: true,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    OpenStdin: false,
    HostConfig: {
      NetworkMode: "none",
      ReadonlyRootfs: true,
      Memory: memory,
      MemorySwap: memory, // memory + swap = memory: no swap
      NanoCpus: spec.resources.cpu * 1e9,
      PidsLimit: settings.pidsLimit,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      Privileged: false,
      IpcMode: "private",
      ...(settings.tmpfsBytes > 0 ? { Tmpfs: { "/tmp": `rw,nosuid,nodev,noexec,size=${settings.tmpfsBytes},mode=1777` } } : {}),
      Mounts: mounts,
      // No core dumps (a host core_pattern pipe would run on the host); bounded open files.
      Ulimits: [
        { Name: "core", Soft: 0, Hard: 0 },
        { Name: "nofile", Soft: 4096, Hard: 4096 },
      ],
      // Logs come through attach, capped; nothing piles up under /var/lib/docker.
      LogConfig: { Type: "none", Config: {} },
      RestartPolicy: { Name: "no", MaximumRetryCount: 0 },
      AutoRemove: false, // removed by the executor after it has read the exit state
      ...(settings.gpus > 0 ? { DeviceRequests: [{ Driver: "", Count: settings.gpus, Capabilities: [["gpu"]] }] } : {}),
    },
  };
  if (engine.command !== undefined) {
    options.Entrypoint = [...engine.command];
    options.Cmd = [...engine.args];
  } else if (engine.args.length > 0) {
    options.Cmd = [...engine.args];
  }
  return options;
}

/**
 * A mount of an existing named volume. NoCopy: the engine would otherwise copy what the image
 * holds at the target into an empty volume. (@types/dockerode over-requires VolumeOptions' other,
 * optional fields.)
 */
export function volumeMount(name: string, target: string, readOnly: boolean): Dockerode.MountSettings {
  return { Type: "volume", Source: name, Target: target, ReadOnly: readOnly, VolumeOptions: { NoCopy: true } } as Dockerode.MountSettings;
}
