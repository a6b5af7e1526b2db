/**
 * A JSON-RPC transport that sends calls over the node's WebSocket first (Lotus serves every eth_
 * method on its /rpc/v1 socket, as Hardhat's node does on its HTTP port): no HTTP request per
 * call, and new heads pushed as they arrive (watchJob reads on each). An HTTP transport takes
 * every call the socket does not answer: a closed or refused socket, or no answer within
 * `timeout`; the socket is then left alone for `rest` and opened anew. An error the node answered
 * with (a revert, a bad nonce) is the node's word, and passes through as it would over HTTP.
 *
 * Unlike viem's `fallback([webSocket(), http()])`, a socket that never opens (a black-holed or
 * half-open endpoint) costs a call `timeout`, not forever: viem's own timeout starts only once the
 * socket is open. And viem's reconnect is off: it logged each failed attempt and gave up for good
 * after five.
 *
 * @example
 * const { transport, close } = socketFirst("wss://node.example/rpc/v1", http("https://node.example/rpc/v1"));
 * const client = createPublicClient({ chain: filecoinCalibration, transport });
 * // …
 * await close(); // the open socket would keep a Node process alive
 */
import { BaseError, createTransport, RpcRequestError, type Transport, webSocket } from "viem";

/** Whether the node answered the call with a JSON-RPC error (as opposed to the socket failing it). */
const answered = (error: unknown) => error instanceof BaseError && error.walk((e) => e instanceof RpcRequestError) !== null;

/** Default of {@link SocketFirstOptions.timeout}: how long a call waits for the socket's answer before HTTP takes it. */
export const SOCKET_TIMEOUT_MS = 5_000;
/** Default of {@link SocketFirstOptions.rest}: how long the socket is left alone after it failed a call. */
export const SOCKET_REST_MS = 30_000;

/** `promise`, or a rejection after `ms` (the promise itself is left to settle on its own). */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer over the socket within ${ms} ms`)), ms);
  });
  promise.catch(() => {});
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export type SocketFirstOptions = {
  /** Milliseconds a call waits for the socket before HTTP takes it (default {@link SOCKET_TIMEOUT_MS}). */
  timeout?: number | undefined;
  /** Milliseconds the socket is left alone after it failed a call (default {@link SOCKET_REST_MS}). */
  rest?: number | undefined;
};

export type SocketFirstReturnType = {
  /** The transport, for viem's `createPublicClient` / `createWalletClient` or wagmi's `transports`. */
  transport: Transport;
  /** Closes the socket, if one was opened (a Node process may then exit). */
  close(): Promise<void>;
};

/** Subscription arguments of viem's socket transports (`newHeads`, `logs`, …). */
type SubscribeArgs = { params: unknown[]; onData: (data: unknown) => void; onError?: (error: unknown) => void };

/**
 * Calls over `wsUrl` first and `http` for whatever the socket does not answer (see the file's
 * comment). The transport also offers `subscribe` (eth_subscribe over the socket), which
 * {@link watchJob} uses to read as each new head arrives.
 */
export function socketFirst(wsUrl: string, http: Transport, options: SocketFirstOptions = {}): SocketFirstReturnType {
  const timeout = options.timeout ?? SOCKET_TIMEOUT_MS;
  const rest = options.rest ?? SOCKET_REST_MS;
  // No reconnect of viem's own: a failed socket is closed, which drops it from viem's cache, and
  // the next call after the rest opens a new one.
  const socket = webSocket(wsUrl, { retryCount: 0, timeout, reconnect: false });
  let restUntil = 0;
  let opened: ReturnType<typeof socket> | undefined;
  const reset = async () => {
    const client = opened?.value ? await within(opened.value.getRpcClient(), 1_000).catch(() => undefined) : undefined;
    client?.close();
  };
  const transport: Transport = (params) => {
    const ws = socket({ ...params, retryCount: 0 });
    opened ??= ws;
    const fallback = http(params);
    return createTransport(
      {
        key: "socketFirst",
        name: "WebSocket, then HTTP",
        type: "socketFirst",
        retryCount: 0,
        request: (async (args: { method: string; params?: unknown }) => {
          if (Date.now() >= restUntil) {
            try {
              // viem's own timeout starts once the socket is open: a socket that never opens is timed here too.
              return await within(ws.request(args as never), timeout);
            } catch (error) {
              if (answered(error)) throw error; // the node's own answer: a revert, a bad nonce
              restUntil = Date.now() + rest;
              void reset();
            }
          }
          return fallback.request(args as never);
        }) as never,
      },
      {
        /** eth_subscribe over the socket; rejects when the socket is resting or does not open within the timeout. */
        subscribe: async (args: SubscribeArgs) => {
          if (Date.now() < restUntil) throw new Error("the socket is resting after a failure");
          return within(ws.value!.subscribe(args as never), timeout);
        },
      },
    );
  };
  return { transport, close: reset };
}
