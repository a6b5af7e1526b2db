/**
 * The running agent's JSON-RPC transport. With `chain.wsUrl` its calls go over that WebSocket
 * (Lotus serves every eth_ method on it, as Hardhat's node does): no HTTP request per call, which
 * halves each step between a JobPosted and the commit on a busy machine (`npm run bench:agent`).
 * HTTP (`chain.rpcUrls`, with their fallback) takes every call the socket does not answer: a
 * closed or refused socket, or no answer within {@link SOCKET_TIMEOUT_MS}; the socket is then left
 * alone for {@link SOCKET_REST_MS} and tried again. An error the node answered with (a revert, a
 * bad nonce) is the node's word, and passes through as it would over HTTP.
 *
 * The CLI's one-shot commands stay on HTTP: an open socket would keep their process alive.
 */
import { BaseError, createTransport, RpcRequestError, type Transport, webSocket } from "viem";

/** Whether the node answered the call with a JSON-RPC error (as opposed to the socket failing it). */
const answered = (error: unknown) => error instanceof BaseError && error.walk((e) => e instanceof RpcRequestError) !== null;

/** How long a call waits for the socket's answer before HTTP takes it. */
export const SOCKET_TIMEOUT_MS = 5_000;
/** How long the socket is left alone after it failed a call. */
export const SOCKET_REST_MS = 30_000;

/** `promise`, or a rejection after `ms` (the promise itself is left to settle on its own). */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer over the socket within ${ms} ms`)), ms);
  });
  promise.catch(() => {});
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export type AgentTransport = {
  transport: Transport;
  /** Closes the socket, if one was opened (the process may then exit). */
  close(): Promise<void>;
};

export function socketFirst(wsUrl: string, http: Transport): AgentTransport {
  // No reconnect of viem's own (it logs each failed attempt to stderr and gives up for good
  // after five): a failed socket is closed, which drops it from viem's cache, and the next call
  // after the rest opens a new one.
  const socket = webSocket(wsUrl, { retryCount: 0, timeout: SOCKET_TIMEOUT_MS, reconnect: false });
  let restUntil = 0;
  let opened: ReturnType<typeof socket> | undefined;
  const transport: Transport = (params) => {
    const ws = socket({ ...params, retryCount: 0 });
    opened ??= ws;
    const fallback = http(params);
    return createTransport({
      key: "socketFirst",
      name: "WebSocket, then HTTP",
      type: "socketFirst",
      retryCount: 0,
      request: (async (args: { method: string; params?: unknown }) => {
        if (Date.now() >= restUntil) {
          try {
            // viem's own timeout starts once the socket is open: a socket that never opens (a
            // black-holed endpoint) is timed here too.
            return await within(ws.request(args as never), SOCKET_TIMEOUT_MS);
          } catch (error) {
            if (answered(error)) throw error; // the node's own answer: a revert, a bad nonce
            restUntil = Date.now() + SOCKET_REST_MS;
            void reset();
          }
        }
        return fallback.request(args as never);
      }) as never,
    });
  };
  const reset = async () => {
    const client = opened?.value ? await within(opened.value.getRpcClient(), 1_000).catch(() => undefined) : undefined;
    client?.close();
  };
  return { transport, close: reset };
}
