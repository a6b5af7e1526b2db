import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import type { Logger } from "pino";
import { Counter, type Registry } from "prom-client";

import type { ResultStore } from "../results/store.js";
import { serveIpfs, text } from "./ipfs.js";

export type HealthReport = {
  ok: boolean;
  /** Anything worth showing: chain head lag, jobs in flight, Docker reachable… */
  details?: Record<string, unknown> | undefined;
};

export type GatewayOptions = {
  /** Where results are read from. */
  results: Pick<ResultStore, "get">;
  /** The agent's Prometheus registry: served at /metrics, and the gateway's own counter lives there. */
  metrics: Registry;
  /** Asked on every GET /healthz; throwing counts as unhealthy. */
  health: () => HealthReport | Promise<HealthReport>;
  /** Interface to listen on (default 127.0.0.1; 0.0.0.0 to be reachable by clients). */
  host?: string | undefined;
  /** Port (default 0: any free port). */
  port?: number | undefined;
  logger?: Logger | undefined;
};

export type Gateway = {
  /** The base URL the gateway listens at, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
};

export const REQUESTS_METRIC = "shoal_gateway_requests_total";

type Route = "ipfs" | "healthz" | "metrics" | "other";

/** On every response: any origin may read it, and these headers of a result. */
export const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "Content-Range, Content-Length, Accept-Ranges, Content-Disposition, ETag, X-Ipfs-Path, X-Ipfs-Roots",
} as const;

/** The answer to a CORS preflight: GET and HEAD only, with Range, If-Range and Accept. */
const PREFLIGHT_HEADERS = {
  "access-control-allow-methods": "GET, HEAD",
  "access-control-allow-headers": "Range, If-Range, Accept",
  "access-control-max-age": "86400",
} as const;

/**
 * The agent's HTTP face: results as trustless CARs (`/ipfs/<cid>?format=car`), `/healthz` and
 * Prometheus `/metrics`. Every request is counted in `shoal_gateway_requests_total{route,status}`.
 *
 * @example
 * const gateway = await createGateway({ results, metrics: registry, health: () => ({ ok: true }), port: 8080 });
 * // register gateway.url on chain; later: await gateway.close();
 */
export async function createGateway({
  results,
  metrics,
  health,
  host = "127.0.0.1",
  port = 0,
  logger,
}: GatewayOptions): Promise<Gateway> {
  const requests =
    (metrics.getSingleMetric(REQUESTS_METRIC) as Counter<"route" | "status"> | undefined) ??
    new Counter({
      name: REQUESTS_METRIC,
      help: "Gateway HTTP requests by route and status",
      labelNames: ["route", "status"] as const,
      registers: [metrics],
    });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://gateway.invalid");
    const route = routeOf(url.pathname);
    response.once("close", () => requests.inc({ route, status: String(response.statusCode) }));
    // Browsers (dapps) may read anything here from any origin: it is public and read-only, and
    // clients verify every byte of a result. Only GET and HEAD, with the headers a resumed
    // download sends, pass a preflight.
    for (const [name, value] of Object.entries(CORS_HEADERS)) response.setHeader(name, value);
    if (request.method === "OPTIONS") {
      response.writeHead(204, { ...PREFLIGHT_HEADERS, allow: "GET, HEAD, OPTIONS" });
      response.end();
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD")
      return text(response, 405, "Method not allowed\n", { allow: "GET, HEAD, OPTIONS" });

    if (route === "ipfs") return serveIpfs(request, response, url, results);
    if (route === "healthz") {
      let report: HealthReport;
      try {
        report = await health();
      } catch (error) {
        report = { ok: false, details: { error: error instanceof Error ? error.message : String(error) } };
      }
      const body = `${JSON.stringify({ status: report.ok ? "ok" : "unavailable", details: report.details ?? {} })}\n`;
      return text(response, report.ok ? 200 : 503, body, { "content-type": "application/json", "cache-control": "no-store" });
    }
    if (route === "metrics") return text(response, 200, await metrics.metrics(), { "content-type": metrics.contentType });
    return text(response, 404, "Not found\n");
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      logger?.error({ err: error, url: request.url }, "gateway request failed");
      if (!response.headersSent) text(response, 500, "Internal error\n");
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (error) => logger?.error({ err: error }, "gateway server error"));
  const address = server.address() as AddressInfo;
  const url = `http://${formatHost(address.address)}:${address.port}`;
  logger?.info({ url }, "gateway listening");

  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function routeOf(pathname: string): Route {
  if (pathname.startsWith("/ipfs/")) return "ipfs";
  if (pathname === "/healthz") return "healthz";
  if (pathname === "/metrics") return "metrics";
  return "other";
}

/** A host for a URL: loopback for the wildcard addresses, brackets around IPv6. */
function formatHost(address: string): string {
  if (address === "0.0.0.0") return "127.0.0.1";
  if (address === "::") return "[::1]";
  return address.includes(":") ? `[${address}]` : address;
}
