/**
 * A TCP proxy on 127.0.0.1 for tests (TEST ONLY): forwards every connection byte for byte to
 * `upstream` (host:port), so a WebSocket through it is the upstream's own. `cut()` drops every open
 * connection and refuses new ones until `restore()`: a WebSocket that dies and cannot reconnect.
 */
import { createConnection, createServer, type Socket } from "node:net";

export type SocketProxy = {
  port: number;
  /** Connections accepted so far (each WebSocket reconnect is one). */
  connections: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
};

export async function startSocketProxy(upstreamPort: number): Promise<SocketProxy> {
  const open = new Set<Socket>();
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) return void client.destroy();
    proxy.connections++;
    const upstream = createConnection({ host: "127.0.0.1", port: upstreamPort });
    open.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const proxy: SocketProxy = {
    port: (server.address() as { port: number }).port,
    connections: 0,
    cut() {
      refusing = true;
      for (const socket of open) socket.destroy();
      open.clear();
    },
    restore() {
      refusing = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        proxy.cut();
        server.close(() => resolve());
      }),
  };
  return proxy;
}
