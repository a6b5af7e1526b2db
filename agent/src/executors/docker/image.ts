/**
 * Image references, the allowlist, and finding the pinned image in the local engine.
 *
 * A spec names its image `name[:tag]@sha256:<64 hex>` (sdk/src/spec/rules.ts). Names are
 * compared in Docker's canonical form: `busybox` is `docker.io/library/busybox`, `me/app` is
 * `docker.io/me/app`, `ghcr.io/me/app` stays. A tag never matters once a digest pins the image.
 *
 * The digest is matched against the local image in one of two ways:
 * - a **repo digest** (`name@sha256:…` in the image's RepoDigests): the registry manifest digest,
 *   what `docker pull name@sha256:…` records;
 * - the **image ID** (`sha256:…`, the digest of the image config): images built or loaded locally,
 *   with no registry, have no RepoDigests, so their ID is the only digest they have. The image
 *   must then also carry the spec's name (in its RepoTags or RepoDigests), so a client cannot run some other local
 *   image the provider never allowed by naming an allowed repository with that image's ID.
 * Both are content addresses: either way the container runs exactly the pinned content.
 */
import type Dockerode from "dockerode";

import { ExecutionError } from "../types.js";

const COMPONENT = "docker";

/** A parsed, pinned image reference. */
export type ImageRef = {
  /** As written in the spec. */
  raw: string;
  /** Canonical repository: `docker.io/library/busybox`, `ghcr.io/me/app`. */
  repository: string;
  /** Tag as written, if any (informational: the digest pins the image). */
  tag: string | undefined;
  /** `sha256:<64 hex>`. */
  digest: string;
};

/** Which images may run: repository names (any digest of them) or exact `name@sha256:…` refs; or a function. */
export type ImagePolicy = readonly string[] | ((image: ImageRef) => boolean);

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Docker's rule: the first component is a registry if it has a `.` or `:`, or is `localhost`. */
function splitDomain(name: string): [domain: string, path: string] {
  const slash = name.indexOf("/");
  const first = slash === -1 ? "" : name.slice(0, slash);
  if (slash !== -1 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    return [first, name.slice(slash + 1)];
  }
  return ["docker.io", name];
}

/** `busybox` → `docker.io/library/busybox`; `index.docker.io/x` → `docker.io/library/x`. */
export function canonicalRepository(name: string): string {
  let [domain, path] = splitDomain(name);
  if (domain === "index.docker.io") domain = "docker.io";
  if (domain === "docker.io" && !path.includes("/")) path = `library/${path}`;
  return `${domain}/${path}`;
}

/** Splits `name[:tag][@digest]` (a tag's `:` comes after the last `/`). */
function splitReference(reference: string): { name: string; tag: string | undefined; digest: string | undefined } {
  const at = reference.indexOf("@");
  const digest = at === -1 ? undefined : reference.slice(at + 1);
  const nameAndTag = at === -1 ? reference : reference.slice(0, at);
  const colon = nameAndTag.lastIndexOf(":");
  if (colon > nameAndTag.lastIndexOf("/")) {
    return { name: nameAndTag.slice(0, colon), tag: nameAndTag.slice(colon + 1), digest };
  }
  return { name: nameAndTag, tag: undefined, digest };
}

/** Parses a pinned reference; throws INVALID_SPEC when it is not pinned by a sha256 digest. */
export function parseImageRef(raw: string): ImageRef {
  const { name, tag, digest } = splitReference(raw);
  if (digest === undefined || !DIGEST.test(digest) || name === "") {
    throw new ExecutionError("INVALID_SPEC", COMPONENT, `image ${JSON.stringify(raw)} is not pinned by digest`, {
      hint: "name the image as name@sha256:<64 hex> (a tag alone can move)",
    });
  }
  return { raw, repository: canonicalRepository(name), tag, digest };
}

/** Compiles the allowlist option into a predicate; throws on an entry that is a bare tag. */
export function compilePolicy(policy: ImagePolicy): (image: ImageRef) => boolean {
  if (typeof policy === "function") return policy;
  const repositories = new Set<string>();
  const pinned = new Set<string>();
  for (const entry of policy) {
    const { name, tag, digest } = splitReference(entry);
    if (name === "") throw new TypeError(`allowedImages: empty entry`);
    if (digest !== undefined) {
      if (!DIGEST.test(digest)) throw new TypeError(`allowedImages: ${entry} has a malformed digest`);
      pinned.add(`${canonicalRepository(name)}@${digest}`);
    } else if (tag !== undefined) {
      throw new TypeError(`allowedImages: ${entry} names a tag; give a repository (any digest) or name@sha256:<digest>`);
    } else {
      repositories.add(canonicalRepository(name));
    }
  }
  return (image) => repositories.has(image.repository) || pinned.has(`${image.repository}@${image.digest}`);
}

/** The local image that is the pinned content, or undefined. */
export async function findLocalImage(docker: Dockerode, ref: ImageRef): Promise<Dockerode.ImageInspectInfo | undefined> {
  // 1. By repo digest: the engine resolves `name@sha256:…` against RepoDigests.
  const byRepoDigest = await inspectOrUndefined(docker, `${ref.repository}@${ref.digest}`);
  if (byRepoDigest && (byRepoDigest.RepoDigests ?? []).some((d) => sameRepoDigest(d, ref))) return byRepoDigest;
  // 2. By image ID (locally built or loaded images have no repo digest), under the spec's name.
  const byId = await inspectOrUndefined(docker, ref.digest);
  const names = [...(byId?.RepoTags ?? []), ...(byId?.RepoDigests ?? [])];
  if (byId && byId.Id === ref.digest && names.some((name) => canonicalRepository(splitReference(name).name) === ref.repository)) {
    return byId;
  }
  return undefined;
}

function sameRepoDigest(repoDigest: string, ref: ImageRef): boolean {
  const { name, digest } = splitReference(repoDigest);
  return digest === ref.digest && canonicalRepository(name) === ref.repository;
}

async function inspectOrUndefined(docker: Dockerode, name: string): Promise<Dockerode.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(name).inspect();
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/** Pulls `repository@digest` (only with `pullImages`); resolves when the pull stream ends. */
export async function pullImage(docker: Dockerode, ref: ImageRef): Promise<void> {
  const stream = await docker.pull(`${ref.repository}@${ref.digest}`);
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: unknown, events: { error?: string }[] | undefined) => {
      const failed = events?.find((e) => e.error !== undefined);
      if (error) reject(error);
      else if (failed) reject(new Error(failed.error));
      else resolve();
    });
  });
}

/** The HTTP status of a dockerode error, if any. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}
