/**
 * An RPC fault proxy on 127.0.0.1 for tests (TEST ONLY): forwards JSON-RPC to `upstream` and, per
 * request, may inject a fault instead of (or after) forwarding: HTTP 500, HTTP 429 with
 * Retry-After, a truncated JSON body, or a stall. It counts what it injected.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type Fault = "http500" | "http429" | "truncated" | "truncatedAfterForwarding" | "stall";

export type FaultProxy = {
  url: string;
  /** Decides, for each request (its JSON-RPC method and the request's index), which fault to inject, if any. */
  plan: (method: string, index: number) => Fault | undefined;
  injected: Record<Fault, number>;
  requests: number;
  /** Rewrites the head the node reports (eth_blockNumber): a node that is behind, or a stale \`latest\`. */
  head?: ((real: bigint) => bigint) | undefined;
  close(): Promise<void>;
};

export async function startFaultProxy(upstream: string, stallMs = 1_500): Promise<FaultProxy> {
  const proxy: FaultProxy = {
    url: "",
    plan: () => undefined,
    injected: { http500: 0, http429: 0, truncated: 0, truncatedAfterForwarding: 0, stall: 0 },
    requests: 0,
    close: async () => {},
  };
  const forward = async (body: Buffer) => {
    const response = await fetch(upstream, { method: "POST", headers: { "content-type": "application/json" }, body: new Uint8Array(body) });
    return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
  };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    let method = "batch";
    try {
      const parsed = JSON.parse(body.toString("utf8")) as { method?: string };
      method = parsed.method ?? "batch";
    } catch {}
    const fault = proxy.plan(method, proxy.requests++);
    if (fault) proxy.injected[fault]++;
    if (fault === "http500") return void res.writeHead(500).end("internal error");
    if (fault === "http429") return void res.writeHead(429, { "retry-after": "1" }).end("rate limited");
    if (fault === "truncated") return void res.writeHead(200, { "content-type": "application/json" }).end('{"jsonrpc":"2.0","id":1,"res');
    if (fault === "stall") await new Promise((r) => setTimeout(r, stallMs));
    const answer = await forward(body);
    if (method === "eth_blockNumber" && proxy.head && answer.status === 200) {
      const parsed = JSON.parse(answer.body.toString("utf8")) as { result?: string };
      if (parsed.result) answer.body = Buffer.from(JSON.stringify({ ...parsed, result: `0x${proxy.head(BigInt(parsed.result)).toString(16)}` }));
    }
    // The node did the work (a transaction may be in the pool), but its answer is lost on the way.
    if (fault === "truncatedAfterForwarding") return void res.writeHead(200, { "content-type": "application/json" }).end(answer.body.subarray(0, 20));
    res.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () => new Promise((r) => server.close(() => r()));
  return proxy;
}
