/**
 * What the demos start and must stop: provider agents as `shoal-agent` processes (registered with
 * the agent's own CLI), the RPC server and the working directory. `cleanup()` stops every agent and
 * waits for it, closes the server and removes the directory; Ctrl-C runs it too.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const AGENT_BIN = join(fileURLToPath(new URL("../..", import.meta.url)), "agent/bin/shoal-agent.mjs");

export function demoProcesses() {
  const children: ChildProcess[] = [];
  const owned: { rpcServer?: { close: () => Promise<void> }; workDir?: string } = {};

  async function cleanup() {
    for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : undefined)));
    await owned.rpcServer?.close();
    if (owned.workDir) await rm(owned.workDir, { recursive: true, force: true });
  }
  process.once("SIGINT", () => {
    console.log("\ninterrupted: stopping the agents");
    void cleanup().then(() => process.exit(130));
  });

  /**
   * Registers a provider with `shoal-agent register -c <config> <registerArgs>`, then starts
   * `shoal-agent run -c <config>` and resolves once it says it is running.
   */
  async function startAgent(o: {
    label: string;
    config: string;
    privateKey: string;
    registerArgs: readonly string[];
    /** More environment for the `run` process only (benchmarks: NODE_OPTIONS for a CPU profile). */
    runEnv?: Record<string, string>;
  }): Promise<ChildProcess> {
    const env = { ...process.env, SHOAL_AGENT_PRIVATE_KEY: o.privateKey };
    const reg = spawn(process.execPath, [AGENT_BIN, "register", "-c", o.config, ...o.registerArgs], { env, stdio: ["ignore", "pipe", "pipe"] });
    let regErr = "";
    reg.stderr.on("data", (d) => (regErr += d));
    if ((await new Promise((r) => reg.once("exit", r))) !== 0) throw new Error(`${o.label} registration failed: ${regErr.trim()}`);
    const child = spawn(process.execPath, [AGENT_BIN, "run", "-c", o.config], { env: { ...env, ...o.runEnv }, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    for (let t = 0; t < 300 && !out.includes("running"); t++) await new Promise((r) => setTimeout(r, 50));
    if (!out.includes("running")) throw new Error(`${o.label} did not start: ${out.trim()}`);
    return child;
  }

  return { owned, cleanup, startAgent };
}
