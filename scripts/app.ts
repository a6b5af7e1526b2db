/**
 * `npm run app`: the dapp against a local Shoal (chain, contracts, three provider agents), served
 * by the Vite dev server. Prints the URL and runs until Ctrl-C, which stops every child process.
 * `SHOAL_APP_MODE=preview` serves a static build instead; `SHOAL_APP_PORT` picks the port.
 */
import { startApp } from "./app/start.js";

const mode = process.env.SHOAL_APP_MODE === "preview" ? "preview" : "dev";
const port = process.env.SHOAL_APP_PORT === undefined ? undefined : Number(process.env.SHOAL_APP_PORT);
try {
  const app = await startApp({ mode, ...(port !== undefined ? { port } : {}), log: (line) => console.log(line) });
  console.log("");
  console.log(`Shoal dapp:  ${app.url}`);
  console.log(`Without a wallet (the node's unlocked client account): ${app.url}?mock=${app.client}#/`);
  console.log(`Local chain: ${app.rpcUrl} (chain ID ${app.chainId}); a stored piece: ${app.piece.cid}; WASM module: ${app.wasmModuleCid}`);
  if (app.dockerImage) console.log(`Docker image the agents run: ${app.dockerImage}`);
  console.log("Ctrl-C stops the app, the agents and the chain.");
  // Ctrl-C: scripts/lib/demoProcesses.ts stops the agents and the chain's server, then exits.
  process.once("SIGTERM", () => void app.close().then(() => process.exit(0)));
  await new Promise(() => {}); // until a signal
} catch (error) {
  console.error(`app failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  process.exitCode = 1;
}
