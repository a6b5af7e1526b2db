/**
 * The dapp on a local Shoal: `startApp()` starts the chain, contracts and provider agents as
 * `npm run demo` does (scripts/lib/localShoal.ts, plus a FederatedAveraging coordinator), then
 * serves the dapp (app/) with a `shoal.config.json` naming that chain: the Vite dev server
 * (`mode: "dev"`, hot reload) or a fresh static build served by `vite preview` (`mode: "preview"`,
 * what the browser tests use). `close()` stops the server, every agent and the chain's RPC server.
 */
import { fileURLToPath } from "node:url";
import type { Address } from "viem";
import { build, createServer, type Plugin, preview } from "vite";
import { demoProcesses } from "../lib/demoProcesses.js";
import { startLocalShoal } from "../lib/localShoal.js";

const CONFIG_FILE = fileURLToPath(new URL("../../app/vite.config.ts", import.meta.url));

export type StartAppOptions = {
  /** Port of the web server (default 5173 for dev, 4173 for preview; the next free one if taken; 0 for any). */
  port?: number;
  mode?: "dev" | "preview";
  /** Progress lines (default: none). */
  log?: (line: string) => void;
};

export type StartAppReturnType = {
  /** The dapp's URL (ends with `/`). */
  url: string;
  rpcUrl: string;
  chainId: number;
  market: Address;
  registry: Address;
  federated: Address[];
  /** A funded account unlocked on the node, for the `?mock=<address>` connector. */
  client: Address;
  /** A piece the agents store (v2 piece CID and its bytes). */
  piece: { cid: string; bytes: Uint8Array };
  /** The CID of the WASM module the agents run (word frequencies). */
  wasmModuleCid: string;
  /** A Docker image the agents run (pinned by digest), when a Docker engine answered; else undefined. */
  dockerImage: string | undefined;
  close(): Promise<void>;
};

/** Serves `/shoal.config.json` from memory in both the dev and the preview server. */
function runtimeConfig(json: string): Plugin {
  const middleware = (req: { url?: string }, res: { setHeader(k: string, v: string): void; end(body: string): void }, next: () => void) => {
    if (req.url?.split("?")[0]?.endsWith("/shoal.config.json")) {
      res.setHeader("content-type", "application/json");
      res.setHeader("cache-control", "no-store");
      res.end(json);
    } else next();
  };
  return {
    name: "shoal-runtime-config",
    configureServer: (server) => void server.middlewares.use(middleware),
    configurePreviewServer: (server) => void server.middlewares.use(middleware),
  };
}

export async function startApp(opts: StartAppOptions = {}): Promise<StartAppReturnType> {
  const mode = opts.mode ?? "dev";
  const log = opts.log ?? (() => {});
  const processes = demoProcesses();
  let server: { close(): Promise<void> } | undefined;
  const close = async () => {
    await server?.close();
    server = undefined;
    await processes.cleanup();
  };
  try {
    const shoal = await startLocalShoal({ processes, log, federated: true });
    const federated = [...shoal.federated];
    const json = JSON.stringify({
      chains: [
        {
          id: 31337,
          name: "Local",
          rpcUrl: shoal.rpcUrl,
          wsUrl: shoal.rpcUrl.replace(/^http/, "ws"), // the node serves both on one port
          market: shoal.market.address,
          registry: shoal.registry.address,
          federated,
          fromBlock: "0",
          pollingIntervalMs: 500,
        },
      ],
    });
    const inline = { configFile: CONFIG_FILE, plugins: [runtimeConfig(json)], logLevel: "warn" as const };
    let url: string;
    if (mode === "dev") {
      const dev = await createServer({ ...inline, server: { port: opts.port ?? 5173 } });
      await dev.listen();
      server = dev;
      url = dev.resolvedUrls?.local[0] ?? `http://127.0.0.1:${dev.config.server.port}/`;
    } else {
      log("Building the app (vite build)…");
      await build({ configFile: CONFIG_FILE, logLevel: "warn" });
      const prev = await preview({ ...inline, preview: { port: opts.port ?? 4173 } });
      server = { close: () => prev.close() };
      url = prev.resolvedUrls?.local[0] ?? `http://127.0.0.1:${prev.config.preview.port}/`;
    }
    log(`Dapp at ${url}`);
    return {
      url,
      rpcUrl: shoal.rpcUrl,
      chainId: 31337,
      market: shoal.market.address,
      registry: shoal.registry.address,
      federated,
      client: shoal.client.account.address,
      piece: { cid: shoal.piece.v2, bytes: shoal.payload },
      wasmModuleCid: shoal.moduleCid,
      dockerImage: shoal.image?.ref,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
