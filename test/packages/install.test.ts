/**
 * The packages as their users get them: `npm pack` of each workspace, the tarballs installed into
 * fresh projects in the system's temporary directory (outside this repository, with no access to
 * its node_modules), and there:
 * 1. a provider installs @shoal/agent, runs `shoal-agent --help`, `init`, `register` and `run`;
 * 2. a script author installs @shoal/sdk and runs the README's script, as written, against the
 *    local chain (the installed agent runs the job): it type-checks under `tsc --strict`, submits,
 *    waits and downloads the verified result;
 * 3. a contract author compiles a fresh Hardhat 3 project with the README's consumer contract,
 *    which inherits ShoalConsumer from @shoal/contracts, deploys it and gets its callback.
 * The README's examples are read from README.md here (the blocks marked `<!-- example: path -->`),
 * so the README shows exactly the code that runs.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Abi, type Hex, parseEther, parseEventLogs, toHex, zeroAddress, zeroHash } from "viem";
import { buildSpec, deployments, encodeSpec, jobMarketAbi, resultCidFromBytes, submitJob, toJobInputs, type SpecInput, waitForResult } from "@shoal/sdk";
import { buildNodeBaseImage, ensureDockerEngine } from "../helpers/docker.js";
import { KEYS, startLocalChain } from "../helpers/localChain.js";
import { freePort } from "../helpers/net.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
// Node 22 (the `node` package's binary): npm and the bins run on it, as after the README's install.
const nodeBin = dirname(process.execPath);

type Run = { code: number | null; stdout: string; stderr: string };

/**
 * The environment of a user's shell: this one (proxies, CA certificates) without what `npm test`
 * adds (npm_* settings of this repository, such as its .npmrc; NODE_OPTIONS and HARDHAT_* of the
 * test runner) and without SHOAL_* variables.
 */
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|SHOAL_|HARDHAT_|NODE_OPTIONS$|INIT_CWD$)/i.test(k)));
  // Node 22 first; nothing else of this repository (its node_modules/.bin) on the PATH.
  const path = (process.env.PATH ?? "").split(":").filter((p) => p && !p.startsWith(root));
  return { ...env, PATH: [nodeBin, ...path].join(":"), ...extra };
}

function sh(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: userEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function ok(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const run = await sh(command, args, cwd, env);
  assert.equal(run.code, 0, `${command} ${args.join(" ")} in ${cwd} failed:\n${run.stdout}\n${run.stderr}`);
  return run;
}

/** A fresh npm project at `dir` with `deps` installed (tarball paths or registry specs). */
async function project(dir: string, deps: string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: dir.split("/").pop(), private: true, type: "module" }, null, 2));
  await ok("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...deps], dir);
}

/** The README's code block marked `<!-- example: name -->`. */
export async function readmeExample(name: string): Promise<string> {
  const readme = await readFile(join(root, "README.md"), "utf8");
  const match = readme.match(new RegExp(`<!-- example: ${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} -->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\`\`\`\\n`));
  assert.ok(match, `README.md has no block marked <!-- example: ${name} -->`);
  return match[1]!;
}

describe("packages installed from their tarballs into projects outside the repository", function () {
  this.timeout(900_000);
  let work: string;
  let chain: Awaited<ReturnType<typeof startLocalChain>>;
  let tarballs: Record<"sdk" | "agent" | "contracts", string>;
  let agent: ChildProcess | undefined;
  const agentLog: string[] = [];
  const dirs = { provider: "", client: "", consumer: "" };

  before(async function () {
    work = await mkdtemp(join(tmpdir(), "shoal-packages-"));
    assert.ok(!work.startsWith(root), "the projects must live outside the repository");
    const packed = await ok("npm", ["pack", "-w", "sdk", "-w", "agent", "-w", "contracts", "--pack-destination", work, "--json", "--loglevel=error"], root);
    const files = (JSON.parse(packed.stdout) as { name: string; filename: string }[]).map((p) => [p.name.replace("@shoal/", ""), join(work, p.filename)]);
    tarballs = Object.fromEntries(files) as typeof tarballs;

    dirs.provider = join(work, "provider");
    dirs.client = join(work, "client");
    dirs.consumer = join(work, "consumer");
    // Three installs at once, from the npm registry (or its cache) and the tarballs.
    await Promise.all([
      project(dirs.provider, [tarballs.sdk, tarballs.agent]),
      project(dirs.client, [tarballs.sdk, "viem@2.57.20", "typescript@5.9.3", "@types/node@22.20.5"]),
      project(dirs.consumer, [tarballs.contracts, "hardhat@3.18.0", "solc@0.8.30"]),
    ]);

    // A fresh chain with Shoal at the addresses the SDK and @shoal/contracts record for 31337.
    chain = await startLocalChain();
    assert.equal(chain.market.toLowerCase(), deployments[31337]!.jobMarket.toLowerCase());
  });

  after(async function () {
    if (agent && agent.exitCode === null) {
      agent.kill("SIGTERM");
      await new Promise((r) => agent!.once("exit", r));
    }
    await chain?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("each package holds what it should and nothing of the repository's development files", async function () {
    const list = async (tarball: string) => (await ok("tar", ["-tzf", tarball], work)).stdout.split("\n").filter(Boolean);
    const sdk = await list(tarballs.sdk);
    for (const f of ["package/dist/src/index.js", "package/dist/src/index.d.ts", "package/dist/src/index.js.map", "package/dist/react/index.js", "package/dist/src/node.js", "package/cli/bin.mjs"]) {
      assert.ok(sdk.includes(f), `@shoal/sdk lacks ${f}`);
    }
    const contracts = await list(tarballs.contracts);
    for (const f of ["package/consumer/ShoalConsumer.sol", "package/interfaces/IJobMarket.sol", "package/abi/JobMarket.json", "package/deployments.json"]) {
      assert.ok(contracts.includes(f), `@shoal/contracts lacks ${f}`);
    }
    assert.ok(!contracts.some((f) => f.startsWith("package/test/")), "test doubles are not published");
    const agentFiles = await list(tarballs.agent);
    assert.ok(agentFiles.includes("package/dist/cli/main.js") && agentFiles.includes("package/bin/shoal-agent.mjs"));
    for (const files of [sdk, contracts, agentFiles]) assert.ok(!files.some((f) => f.includes("tsbuildinfo") || f.includes("node_modules")));
  });

  it("a provider runs `npx shoal-agent --help`, `init`, `register` and `run` from the installed @shoal/agent", async function () {
    const help = await ok("npx", ["--no-install", "shoal-agent", "--help"], dirs.provider);
    for (const command of ["init", "register", "run", "status"]) assert.match(help.stdout, new RegExp(`\\n  ${command}\\b`));

    await ok("npx", ["--no-install", "shoal-agent", "init", "-o", "shoal-agent.json"], dirs.provider);
    assert.match(await readFile(join(dirs.provider, "shoal-agent.json"), "utf8"), /"pieceDir": "\.\/pieces"/);

    // The provider stores the example piece and module where the config says.
    const spec = JSON.parse(await readFile(join(root, "examples/specs/wordfreq.json"), "utf8"));
    await mkdir(join(dirs.provider, "pieces"));
    await mkdir(join(dirs.provider, "modules"));
    await copyFile(join(root, "examples/data/harbor-log.txt"), join(dirs.provider, "pieces", spec.inputs[0].piece));
    await copyFile(join(root, "examples/wasm/wordfreq.wasm"), join(dirs.provider, "modules", `${spec.engine.module}.wasm`));

    const port = await freePort();
    const env = {
      SHOAL_AGENT_PRIVATE_KEY: KEYS[2],
      SHOAL_AGENT_RPC_URLS: chain.rpcUrl,
      SHOAL_AGENT_GATEWAY_PORT: String(port),
      SHOAL_AGENT_POLL_INTERVAL_MS: "200",
    };
    const registered = await ok("npx", ["--no-install", "shoal-agent", "register", "--stake", "10"], dirs.provider, env);
    assert.doesNotMatch(registered.stderr, /at .*\(.*:\d+:\d+\)/, "no stack trace");

    agent = spawn(join(dirs.provider, "node_modules/.bin/shoal-agent"), ["run"], {
      cwd: dirs.provider,
      env: userEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    agent.stdout!.on("data", (d) => agentLog.push(String(d)));
    agent.stderr!.on("data", (d) => agentLog.push(String(d)));
    for (let t = 0; t < 300 && !agentLog.join("").includes("shoal agent running"); t++) await new Promise((r) => setTimeout(r, 50));
    assert.match(agentLog.join(""), /shoal agent running/, agentLog.join(""));
  });

  it("the README's script, importing @shoal/sdk by name, type-checks under tsc --strict, submits a job, waits and downloads the verified result", async function () {
    assert.ok(agent, "needs the provider from the test before");
    await writeFile(join(dirs.client, "submit.ts"), await readmeExample("client/submit.ts"));
    await copyFile(join(root, "examples/specs/wordfreq.json"), join(dirs.client, "spec.json"));
    await writeFile(
      join(dirs.client, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { target: "ES2023", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, types: ["node"] }, include: ["submit.ts"] }),
    );
    await ok("npx", ["--no-install", "tsc", "--strict", "-p", "."], dirs.client);

    const run = await sh("node", ["submit.ts", "spec.json", "result"], dirs.client, { SHOAL_PRIVATE_KEY: KEYS[1], SHOAL_RPC_URL: chain.rpcUrl });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}\nagent: ${agentLog.join("")}`);
    assert.match(run.stdout, /job \d+ posted/);
    assert.match(run.stdout, /settled with baf/);
    assert.match(run.stdout, /1 file\(s\) in /);
    const freq = JSON.parse(await readFile(join(dirs.client, "result", "wordfreq.json"), "utf8"));
    assert.ok(Object.keys(freq).length > 0, "the word frequencies of the stored piece");
  });

  it("a fresh Hardhat 3 project compiles the README's consumer, which inherits ShoalConsumer from @shoal/contracts, and gets its callback", async function () {
    assert.ok(agent, "needs the provider from the test before");
    const dir = dirs.consumer;
    await mkdir(join(dir, "contracts"));
    await writeFile(join(dir, "contracts", "MyConsumer.sol"), await readmeExample("consumer/contracts/MyConsumer.sol"));
    await writeFile(
      join(dir, "hardhat.config.ts"),
      [
        `import { createRequire } from "node:module";`,
        `import { defineConfig } from "hardhat/config";`,
        `const require = createRequire(import.meta.url);`,
        `export default defineConfig({`,
        `  solidity: { version: "0.8.30", path: require.resolve("solc/soljson.js"), settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun" } },`,
        `});`,
        ``,
      ].join("\n"),
    );
    await ok("npx", ["--no-install", "hardhat", "build"], dir);
    const { abi, bytecode } = JSON.parse(await readFile(join(dir, "artifacts/contracts/MyConsumer.sol/MyConsumer.json"), "utf8")) as { abi: Abi; bytecode: Hex };

    // The market's address as @shoal/contracts ships it.
    const shipped = JSON.parse(await readFile(join(dir, "node_modules/@shoal/contracts/deployments.json"), "utf8"));
    const market = shipped["31337"].jobMarket as Hex;
    const client = chain.wallet(1);
    const deployHash = await client.deployContract({ abi, bytecode, args: [market] });
    const consumer = (await chain.publicClient.waitForTransactionReceipt({ hash: deployHash })).contractAddress!;

    const spec = JSON.parse(await readFile(join(root, "examples/specs/wordfreq.json"), "utf8")) as SpecInput;
    const price = parseEther("0.01");
    const [feeBps, collateral] = await Promise.all([
      chain.publicClient.readContract({ address: market, abi: jobMarketAbi, functionName: "feeBps" }),
      chain.publicClient.readContract({ address: market, abi: jobMarketAbi, functionName: "minCollateral" }),
    ]);
    const escrow = price + (price * BigInt(feeBps)) / 10_000n;
    const now = Number((await chain.publicClient.getBlock()).timestamp);
    const built = buildSpec(spec);
    const request = {
      spec: toHex(encodeSpec(built)),
      ...toJobInputs(built),
      replicas: 1,
      quorum: 1,
      token: zeroAddress,
      price,
      collateral,
      deadline: now + 3_600,
      commitWindow: 600,
      revealWindow: 600,
      callback: zeroAddress,
      callbackGas: 200_000,
      allowlistRoot: zeroHash,
      distinctMiners: false,
    };
    const hash = await client.writeContract({ address: consumer, abi, functionName: "request", args: [request], value: escrow });
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
    const [posted] = parseEventLogs({ abi: jobMarketAbi, logs: receipt.logs, eventName: "JobPosted" });
    const jobId = posted!.args.jobId;

    let result: Hex = "0x";
    for (let t = 0; t < 600 && result === "0x"; t++) {
      result = (await chain.publicClient.readContract({ address: consumer, abi, functionName: "results", args: [jobId] })) as Hex;
      if (result === "0x") await new Promise((r) => setTimeout(r, 100));
    }
    assert.notEqual(result, "0x", `no callback for job ${jobId}; agent: ${agentLog.join("")}`);
    const job = await chain.publicClient.readContract({ address: market, abi: jobMarketAbi, functionName: "getJob", args: [jobId] });
    assert.equal(resultCidFromBytes(result).toString(), resultCidFromBytes((job as { resultCid: Hex }).resultCid).toString());
    // The base recorded the caller as the job's requester, who gets its refund through claimRefund.
    const requester = (await chain.publicClient.readContract({ address: consumer, abi, functionName: "requesterOf", args: [jobId] })) as Hex;
    assert.equal(requester.toLowerCase(), client.account.address.toLowerCase());
  });
  it("the agent's image (agent/deploy/Dockerfile), built from the installed package, runs a job on the local chain and stops cleanly on docker stop", async function () {
    assert.ok(agent, "needs the provider from the tests before");
    const engine = await ensureDockerEngine();
    if (!engine.docker) {
      if (process.env.CI) assert.fail(`CI needs a Docker engine: ${engine.reason}`);
      this.skip();
    }

    // The host agent stops on SIGTERM: it finishes what is in flight, says so, and exits 0.
    const exited = new Promise<number | null>((r) => agent!.once("exit", r));
    agent.kill("SIGTERM");
    assert.equal(await exited, 0, agentLog.join(""));
    assert.match(agentLog.join(""), /SIGTERM: stopping/);
    assert.match(agentLog.join(""), /shoal-agent: stopped/);

    const base = await buildNodeBaseImage();
    const image = "shoal-test/agent:local";
    await ok("docker", ["build", "-q", "-f", "node_modules/@shoal/agent/deploy/Dockerfile", "--build-arg", `NODE_IMAGE=${base}`, "-t", image, "."], dirs.provider);

    // The provider's data under /var/lib/shoal, as the Dockerfile expects; the image runs as uid 1000.
    const data = join(work, "container-data");
    const spec = JSON.parse(await readFile(join(root, "examples/specs/wordfreq.json"), "utf8"));
    await mkdir(join(data, "pieces"), { recursive: true });
    await mkdir(join(data, "modules"), { recursive: true });
    await copyFile(join(root, "examples/data/harbor-log.txt"), join(data, "pieces", spec.inputs[0].piece));
    await copyFile(join(root, "examples/wasm/wordfreq.wasm"), join(data, "modules", `${spec.engine.module}.wasm`));
    const user = process.getuid?.() === 0 ? (await ok("chown", ["-R", "1000:1000", data], work), []) : ["--user", `${process.getuid?.()}:${process.getgid?.()}`];
    const port = await freePort();
    const args = [
      "--network", "host", "-v", `${data}:/var/lib/shoal`, ...user,
      "-e", `SHOAL_AGENT_PRIVATE_KEY=${KEYS[3]}`, "-e", `SHOAL_AGENT_RPC_URLS=${chain.rpcUrl}`,
      "-e", "SHOAL_AGENT_GATEWAY_HOST=127.0.0.1", "-e", `SHOAL_AGENT_GATEWAY_PORT=${port}`, "-e", "SHOAL_AGENT_POLL_INTERVAL_MS=200",
    ];
    await ok("docker", ["run", "--rm", ...args, image, "register", "--stake", "10"], work);
    const name = `shoal-agent-test-${process.pid}`;
    await ok("docker", ["run", "-d", "--name", name, ...args, image], work);
    try {
      const logs = async () => {
        const run = await sh("docker", ["logs", name], work);
        return run.stdout + run.stderr;
      };
      for (let t = 0; t < 200 && !(await logs()).includes("shoal agent running"); t++) await new Promise((r) => setTimeout(r, 100));
      assert.match(await logs(), /shoal agent running/);

      // A job only the container's agent can take (the host agent is stopped).
      const client = chain.wallet(1);
      const { jobId } = await submitJob(client, { spec, replicas: 1, quorum: 1, price: parseEther("0.01") });
      const { job } = await waitForResult(chain.publicClient, { jobId, timeout: 120_000 }).catch(async (e: Error) => assert.fail(`${e.message}\n${await logs()}`));
      assert.equal(job.status, "Settled", await logs());

      await ok("docker", ["stop", "-t", "60", name], work);
      const state = await ok("docker", ["inspect", "-f", "{{.State.ExitCode}}", name], work);
      assert.equal(state.stdout.trim(), "0", await logs());
      assert.match(await logs(), /shoal-agent: stopped/);
    } finally {
      await sh("docker", ["rm", "-f", name], work);
    }
  });
});
