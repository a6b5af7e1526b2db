import { Readable } from "node:stream";
import type { ReadableStream } from "node:stream/web";

import { InputUnavailableError } from "../errors.js";
import type { SourceBytes } from "./types.js";

/** Options shared by the HTTP sources. */
export type HttpSourceOptions = {
  /** The provider's endpoint, e.g. `http://127.0.0.1:12310` (Curio/Boost market HTTP). */
  baseUrl: string;
  /** Milliseconds for a whole download, headers and body (default 30 min). */
  timeoutMs?: number | undefined;
  /** Milliseconds for a `has` probe (default 5 s). */
  probeTimeoutMs?: number | undefined;
  /** Extra request headers (e.g. an authorization token for the provider's own endpoint). */
  headers?: Record<string, string> | undefined;
};

export const DEFAULT_TIMEOUT_MS = 30 * 60_000;
export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;

/** `baseUrl` without trailing slashes, joined with `path`. */
export function urlOf(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${path}`;
}

/**
 * GETs `url`: the body on 2xx, undefined on 404 or 410, InputUnavailableError on anything else
 * (other statuses, network errors, timeouts). `signal` (the caller's) aborts with its own reason.
 */
export async function download(
  url: string,
  cid: string,
  { signal, timeoutMs, headers }: { signal: AbortSignal; timeoutMs: number; headers?: Record<string, string> | undefined },
): Promise<SourceBytes | undefined> {
  const response = await request(url, cid, "GET", AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]), signal, headers);
  if (response.status === 404 || response.status === 410) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    throw new InputUnavailableError({ cid, reason: `${url} answered HTTP ${response.status}` });
  }
  const length = response.headers.get("content-length");
  return {
    origin: url,
    size: length !== null && /^\d+$/.test(length) ? BigInt(length) : undefined,
    body: Readable.fromWeb(response.body as ReadableStream<Uint8Array>),
  };
}

/** HEADs `url`: whether it answered 2xx within `timeoutMs`. Never throws. */
export async function probe(
  url: string,
  { signal, timeoutMs, headers }: { signal?: AbortSignal | undefined; timeoutMs: number; headers?: Record<string, string> | undefined },
): Promise<boolean> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, {
      method: "HEAD",
      headers,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

async function request(
  url: string,
  cid: string,
  method: string,
  signal: AbortSignal,
  callerSignal: AbortSignal,
  headers: Record<string, string> | undefined,
): Promise<Response> {
  try {
    return await fetch(url, { method, headers, signal, redirect: "follow" });
  } catch (error) {
    if (callerSignal.aborted) throw callerSignal.reason;
    const reason = signal.aborted ? "timed out" : ((error as Error).cause as Error | undefined)?.message ?? String(error);
    throw new InputUnavailableError({ cid, reason: `${url}: ${reason}`, cause: error });
  }
}
