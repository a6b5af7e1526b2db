import { createServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { WebSocketServer } from "ws";

type Eip1193 = {
  request(args: { method: string; params?: unknown }): Promise<unknown>;
  /** Subscription notifications (`eth_subscribe`): Hardhat's EDR provider emits them as `notification`. */
  on?(event: "notification", listener: (payload: { subscription: string; result: unknown }) => void): unknown;
  off?(event: "notification", listener: (payload: { subscription: string; result: unknown }) => void): unknown;
};
type RpcRequest = { id?: number | string | null; method: string; params?: unknown };

/**
 * Serves an in-process EIP-1193 provider (a Hardhat EDR connection's `provider`) as JSON-RPC over
 * HTTP on 127.0.0.1, so HTTP-only clients (wagmi's `http` transport and mock connector, ethers'
 * JsonRpcProvider) talk to the same chain as the test's viem clients. Batches are answered in order.
 * The same port speaks WebSocket (`ws://` + the URL's host), with eth_subscribe's notifications
 * sent to the socket that subscribed, as a node's socket endpoint does.
 */
export async function serveRpc(provider: Eip1193): Promise<{ url: string; close: () => Promise<void> }> {
  const answer = async ({ id = null, method, params }: RpcRequest) => {
    try {
      return { jsonrpc: "2.0", id, result: (await provider.request({ method, params })) ?? null };
    } catch (error) {
      const e = error as { code?: number; message?: string; data?: unknown };
      return { jsonrpc: "2.0", id, error: { code: e.code ?? -32603, message: e.message ?? String(error), data: e.data } };
    }
  };
  const server = createServer(async (req, res) => {
    const cors = { "access-control-allow-origin": "*", "access-control-allow-headers": "content-type" };
    if (req.method === "OPTIONS") return void res.writeHead(204, cors).end();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: RpcRequest | RpcRequest[];
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return void res.writeHead(400, cors).end();
    }
    const reply = Array.isArray(body) ? await Promise.all(body.map(answer)) : await answer(body);
    res.writeHead(200, { ...cors, "content-type": "application/json" }).end(JSON.stringify(reply));
  });
  const sockets = new WebSocketServer({ server });
  sockets.on("connection", (socket) => {
    const mine = new Set<string>();
    const notify = (payload: { subscription: string; result: unknown }) => {
      if (mine.has(payload.subscription)) socket.send(JSON.stringify({ jsonrpc: "2.0", method: "eth_subscription", params: payload }));
    };
    provider.on?.("notification", notify);
    socket.on("message", async (data) => {
      let body: RpcRequest | RpcRequest[];
      try {
        body = JSON.parse(data.toString());
      } catch {
        return void socket.send(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } }));
      }
      const track = async (request: RpcRequest) => {
        const reply = await answer(request);
        if (request.method === "eth_subscribe" && "result" in reply && typeof reply.result === "string") mine.add(reply.result);
        if (request.method === "eth_unsubscribe") mine.delete(String((request.params as unknown[] | undefined)?.[0]));
        return reply;
      };
      const reply = Array.isArray(body) ? await Promise.all(body.map(track)) : await track(body);
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(reply));
    });
    socket.on("close", () => {
      provider.off?.("notification", notify);
      for (const id of mine) void provider.request({ method: "eth_unsubscribe", params: [id] }).catch(() => {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets.clients) socket.terminate();
      sockets.close();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A TCP port free on 127.0.0.1 right now (for servers whose URL must be known before they start). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createNetServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
