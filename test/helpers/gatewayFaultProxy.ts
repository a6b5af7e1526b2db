/**
 * A gateway fault proxy on 127.0.0.1 for tests (TEST ONLY): forwards GET/HEAD requests to an
 * upstream HTTP server and, per request, may inject a fault: drop the connection after some body
 * bytes, forward without the Range header (a server that ignores ranges), flip a byte of the
 * body at an offset of the whole resource, or answer a fixed status. It records the Range header
 * of every request.
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type GatewayFault =
  | { kind: "drop"; afterBytes: number }
  | { kind: "ignoreRange" }
  | { kind: "corrupt"; atOffset: number }
  | { kind: "status"; status: number };

export type GatewayFaultProxy = {
  url: string;
  /** The fault for request `index` (0-based), if any. */
  plan: (index: number) => GatewayFault | undefined;
  /** The Range header of each request (undefined when none). */
  ranges: (string | undefined)[];
  close(): Promise<void>;
};

export async function startGatewayFaultProxy(upstream: string): Promise<GatewayFaultProxy> {
  const target = new URL(upstream);
  const proxy: GatewayFaultProxy = { url: "", plan: () => undefined, ranges: [], close: async () => {} };
  const server: Server = createServer((req, res) => {
    const index = proxy.ranges.length;
    proxy.ranges.push(req.headers.range);
    const fault = proxy.plan(index);
    if (fault?.kind === "status") return void res.writeHead(fault.status, { "content-length": 0 }).end();
    const headers = { ...req.headers, host: target.host };
    if (fault?.kind === "ignoreRange") delete headers.range;
    const upstreamRequest = httpRequest(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        // Offset of the next body byte within the whole resource (a 206 starts at its range's start).
        let position = Number(/^bytes (\d+)-/.exec(answer.headers["content-range"] ?? "")?.[1] ?? 0);
        let sent = 0;
        answer.on("data", (chunk: Buffer) => {
          if (fault?.kind === "drop" && sent >= fault.afterBytes) return;
          let out = chunk;
          if (fault?.kind === "corrupt" && fault.atOffset >= position && fault.atOffset < position + chunk.length) {
            out = Buffer.from(chunk);
            out[fault.atOffset - position] ^= 0xff;
          }
          position += chunk.length;
          if (fault?.kind === "drop" && sent + out.length >= fault.afterBytes) {
            answer.destroy();
            // Mid-body, once these bytes are on the wire: the client sees the connection drop.
            res.write(out.subarray(0, fault.afterBytes - sent), () => res.socket?.destroy());
            sent = fault.afterBytes;
            return;
          }
          sent += out.length;
          res.write(out);
        });
        answer.on("end", () => res.end());
      },
    );
    upstreamRequest.on("error", () => res.destroy());
    upstreamRequest.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return proxy;
}
