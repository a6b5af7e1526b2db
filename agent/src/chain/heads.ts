/**
 * New heads pushed by the node: an `eth_subscribe("newHeads")` over WebSocket (Lotus serves it on
 * its /rpc/v1 endpoint; Hardhat's node on its HTTP port). A head only wakes the chain sync and the
 * receipt waits early: the cursor-based getLogs pass stays the source of truth, so a dropped socket
 * or a missed notification delays an event until the next poll at worst, and never loses or
 * repeats one. The socket reconnects with backoff until the signal aborts. Node 22's built-in
 * WebSocket client: no dependency.
 */
import type { Logger } from "../context.js";

export type HeadsOptions = {
  /** ws:// or wss:// endpoint serving eth_subscribe. */
  url: string;
  logger: Logger;
  signal: AbortSignal;
  /** Told whether the subscription is live (after eth_subscribe answered) or down. */
  onStatus?: (up: boolean) => void;
  /** First reconnect delay, doubled per failed attempt up to `maxBackoffMs` (defaults 1 s, 30 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
};

export type Heads = {
  /** Calls `listener` with each new head's number (and once with undefined on every (re)subscription, to catch up); returns an unsubscribe. */
  onHead(listener: (block: bigint | undefined) => void): () => void;
  /** Whether the subscription is live now. */
  up(): boolean;
  /** Resolves once the socket is closed and no reconnect is pending (after the signal aborts). */
  closed: Promise<void>;
};

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });

/** Starts the subscription loop; never throws (failures are logged, reported by `onStatus` and retried). */
export function watchHeads(o: HeadsOptions): Heads {
  const listeners = new Set<(block: bigint | undefined) => void>();
  let live = false;
  const emit = (block: bigint | undefined) => {
    for (const l of listeners) l(block);
  };
  const setUp = (up: boolean) => {
    if (up === live) return;
    live = up;
    o.onStatus?.(up);
  };

  /** One connection: resolves when it closes, with whether it got as far as a live subscription. */
  const connect = () =>
    new Promise<boolean>((resolve) => {
      let subscribed = false;
      let socket: WebSocket;
      try {
        socket = new WebSocket(o.url);
      } catch (error) {
        o.logger.warn({ url: o.url, err: (error as Error).message }, "head subscription: bad WebSocket URL");
        return resolve(false);
      }
      const abort = () => end();
      o.signal.addEventListener("abort", abort, { once: true });
      socket.addEventListener("open", () => socket.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newHeads"] })));
      socket.addEventListener("message", (event) => {
        let msg: { id?: number; result?: unknown; error?: { message?: string }; method?: string; params?: { result?: { number?: string } } };
        try {
          msg = JSON.parse(String(event.data));
        } catch {
          return;
        }
        if (msg.id === 1) {
          if (typeof msg.result !== "string") {
            o.logger.warn({ url: o.url, err: msg.error?.message }, "head subscription refused by the node: polling only");
            socket.close();
            return;
          }
          subscribed = true;
          setUp(true);
          o.logger.info({ url: o.url }, "subscribed to new heads");
          emit(undefined); // catch up on whatever came while the socket was down
          return;
        }
        if (msg.method === "eth_subscription" && typeof msg.params?.result?.number === "string") emit(BigInt(msg.params.result.number));
      });
      // Node 22's client may report a failed handshake with "error" and never "close": either ends
      // the connection, once. A handshake that hangs is given up after 10 s.
      let ended = false;
      const handshake = setTimeout(() => end(), 10_000);
      const end = () => {
        if (ended) return;
        ended = true;
        clearTimeout(handshake);
        o.signal.removeEventListener("abort", abort);
        if (socket.readyState !== WebSocket.CLOSED) socket.close();
        setUp(false);
        resolve(subscribed);
      };
      socket.addEventListener("open", () => clearTimeout(handshake));
      socket.addEventListener("close", end);
      socket.addEventListener("error", end);
    });

  const closed = (async () => {
    const min = o.minBackoffMs ?? 1_000;
    const max = o.maxBackoffMs ?? 30_000;
    let backoff = min;
    while (!o.signal.aborted) {
      const wasLive = await connect();
      if (o.signal.aborted) break;
      if (wasLive) backoff = min;
      o.logger.warn({ url: o.url, retryInMs: backoff }, "head subscription down: polling until it reconnects");
      await sleep(backoff, o.signal);
      backoff = Math.min(backoff * 2, max);
    }
  })();

  return {
    onHead(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    up: () => live,
    closed,
  };
}
