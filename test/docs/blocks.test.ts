/**
 * Every code block of the docs runs as written: this file finds every fenced block in every
 * Markdown file of the repository (README.md, docs/, examples/, the packages' READMEs; not the
 * CHANGELOGs) and checks each one. A block with no check fails the first test, which names it.
 *
 * How a block is checked: by its fence language, unless the line right above the fence is a marker.
 * - ```json: a job spec: `buildSpec` accepts it and `decodeSpec(encodeSpec(spec))` gives it back.
 * - ```ts: type-checked (`tsc --strict`, @shoal/* resolved to the built workspaces), then run with
 *   `node` from the repository root, with `SHOAL_RPC_URL` and `SHOAL_PRIVATE_KEY` of an in-process
 *   chain on which job 1 is posted.
 * - ```tsx: type-checked (running it needs a browser and a wallet).
 * - ```solidity: compiled to bytecode with solc 0.8.30 (`@shoal/contracts/…` resolved to contracts/).
 * - ```env: `SHOAL_AGENT_*` variables the agent reads, loaded by its config loader.
 * - ```sh / ```bash: every command. `shoal` and `shoal-agent` have each subcommand, flag and
 *   argument count used (read from the CLIs' own help), `npx hardhat` tasks and flags likewise,
 *   networks and configuration variables are in hardhat.config.ts, `npm run` scripts exist,
 *   `npm install` names our packages or their dependencies, exported variables are read by our
 *   code, and every path into the repository (or into an installed @shoal package) exists.
 *
 * Markers (an HTML comment on the line right above the opening fence):
 * - `<!-- example: NAME -->`: run by another test that reads it with `readmeExample("NAME")`
 *   (test/packages/install.test.ts); checked here too by its language.
 * - `<!-- check: invalid-spec PATH: RULE -->` on a ```json block: a spec meant to be refused;
 *   `buildSpec` must throw `InvalidSpecError` whose first issue is exactly `PATH: RULE`.
 * - `<!-- check: agent-config -->` on a ```json block: an agent config file (`//` comment lines
 *   allowed), loaded by the agent's `loadConfig({ file })`.
 * - `<!-- check: typecheck REASON -->` on a ```ts block: type-checked, not run (say why).
 * - `<!-- check: encoding INPUT -->` on a ```text block: the block is `encodeSpec(INPUT)`, where
 *   `<cid>` in both stands for a module CID.
 * - `<!-- check: paths -->` on a layout tree: every `dir/` and `file.ext` it names exists
 *   (a name on an indented line is under the last top-level directory).
 * - `<!-- check: run-local -->` on a ```sh block: checked like any shell block, then run for real,
 *   line by line, in a temporary directory holding the repository's examples/ (with the
 *   repository's packages installed), against an in-process local chain with Shoal at the SDK's
 *   local addresses. `npx hardhat node …` and `npx hardhat ignition deploy …` are that chain (they
 *   are not run; test/deploy/ignition.test.ts deploys the module at those addresses);
 *   SHOAL_RPC_URL and SHOAL_AGENT_RPC_URLS point at it, SHOAL_AGENT_GATEWAY_PORT at a free port,
 *   and SHOAL_AGENT_POLL_INTERVAL_MS is 250 (for time); `shoal-agent … run` runs in the background
 *   (its own process group, stopped with SIGTERM) until the block's last line has run.
 * - `<!-- not-runnable: REASON -->`: not checked (a diagram; a command that needs Filecoin
 *   mainnet). Keep these rare and give the reason.
 *
 * Run: `npx hardhat test mocha test/docs/blocks.test.ts` (after `npx tsc -b sdk agent`).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseEther } from "viem";
import { buildSpec, decodeSpec, encodeSpec, InvalidSpecError, type SpecInput, submitJob } from "@shoal/sdk";
import { ENV_KEYS, loadConfig } from "../../agent/src/config/config.js";
import { allCodeBlocks, type CodeBlock, where } from "../helpers/codeBlocks.js";
import { KEYS, startLocalChain } from "../helpers/localChain.js";
import { freePort } from "../helpers/net.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string>; devDependencies: Record<string, string>; workspaces: string[] };

type Check = "run-local" | "example" | "spec" | "invalid-spec" | "agent-config" | "env" | "ts-run" | "typecheck" | "solidity" | "shell" | "encoding" | "paths" | "exempt";

const HOW_TO =
  "give it a fence language that is checked (json, ts, tsx, solidity, env, sh) or put a marker on the line right above the fence: " +
  "<!-- check: invalid-spec PATH: RULE -->, <!-- check: agent-config -->, <!-- check: typecheck REASON -->, <!-- check: run-local -->, <!-- check: paths -->, <!-- check: encoding INPUT -->, " +
  "<!-- example: NAME --> (run by a test that calls readmeExample), or <!-- not-runnable: REASON --> (rare: say why); see the top of test/docs/blocks.test.ts";

/** The check a block gets, or an error that says what is wrong with its marker. */
function checkOf(block: CodeBlock): Check | { error: string } {
  const { marker, lang } = block;
  if (marker?.kind === "not-runnable") return marker.arg.length >= 10 ? "exempt" : { error: "a not-runnable marker needs its reason (at least a few words)" };
  if (marker?.kind === "example") return "example";
  if (marker?.kind === "check") {
    const [kind = "", ...rest] = marker.arg.split(/\s+/);
    const arg = rest.join(" ");
    if (kind === "invalid-spec" && lang === "json") return arg ? "invalid-spec" : { error: "invalid-spec needs the expected `PATH: RULE`" };
    if (kind === "typecheck" && (lang === "ts" || lang === "tsx")) return arg ? "typecheck" : { error: "check: typecheck needs the reason it is not run" };
    if (kind === "encoding" && arg) return "encoding";
    if (kind === "paths") return "paths";
    if (kind === "run-local" && (lang === "sh" || lang === "bash")) return "run-local";
    if (kind === "agent-config" && lang === "json") return "agent-config";
    return { error: `unknown or misplaced marker <!-- check: ${marker.arg} --> on a \`\`\`${lang} block` };
  }
  switch (lang) {
    case "json":
      return "spec";
    case "ts":
    case "typescript":
      return "ts-run";
    case "tsx":
      return "typecheck";
    case "env":
    case "dotenv":
      return "env";
    case "solidity":
    case "sol":
      return "solidity";
    case "sh":
    case "bash":
    case "shell":
      return "shell";
    default:
      return { error: `\`\`\`${lang || "(no language)"} blocks have no check` };
  }
}

const blocks = allCodeBlocks(root);
const byCheck = (check: Check) => blocks.filter((b) => checkOf(b) === check);

/** Runs a command; resolves with its exit code and output. */
function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? root, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out }));
  });
}

/** A temporary project directory that resolves packages from this repository's node_modules. */
async function tempProject(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await symlink(join(root, "node_modules"), join(dir, "node_modules"), "dir");
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: "docs-blocks", private: true, type: "module" }));
  return dir;
}

describe("every code block of the docs runs as written", function () {
  this.timeout(300_000);
  const temps: string[] = [];
  after(async () => {
    for (const dir of temps) await rm(dir, { recursive: true, force: true });
  });

  it("finds the blocks, and each one is checked or marked not runnable with a reason", function () {
    assert.ok(blocks.some((b) => b.file === "README.md") && blocks.some((b) => b.file === "docs/job-spec.md"), "no blocks found in README.md and docs/");
    const problems = blocks.flatMap((b) => {
      const check = checkOf(b);
      return typeof check === "object" ? [`${where(b)}: ${check.error}: ${HOW_TO}`] : [];
    });
    const counts = new Map<string, number>();
    for (const b of blocks) {
      const check = checkOf(b);
      const key = typeof check === "object" ? "unchecked" : check;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    console.log(`      ${blocks.length} blocks in ${new Set(blocks.map((b) => b.file)).size} files: ${[...counts].map(([k, n]) => `${k} ${n}`).join(", ")}`);
    for (const b of byCheck("exempt")) console.log(`      not runnable: ${where(b)}: ${b.marker!.arg}`);
    assert.deepEqual(problems, [], `blocks that nothing checks:\n${problems.join("\n")}`);
  });

  it("every `example:` block is read by a test", function () {
    const tests = readdirSync(join(root, "test"), { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts"))
      .map((f) => readFileSync(join(root, "test", f), "utf8"))
      .join("\n");
    const problems = byCheck("example")
      .filter((b) => !tests.includes(`readmeExample(${JSON.stringify(b.marker!.arg)})`))
      .map((b) => `${where(b)}: no test calls readmeExample(${JSON.stringify(b.marker!.arg)}); run it from a test or remove the marker`);
    assert.deepEqual(problems, [], problems.join("\n"));
  });

  it("JSON blocks are job specs that build and round-trip through the canonical encoding; invalid ones fail with the documented rule", function () {
    const problems: string[] = [];
    for (const b of byCheck("spec")) {
      try {
        const spec = buildSpec(JSON.parse(b.text) as SpecInput);
        assert.deepEqual(decodeSpec(encodeSpec(spec)), spec);
      } catch (error) {
        problems.push(`${where(b)}: ${(error as Error).message.split("\n")[0]} (a JSON block must be a valid job spec; mark one meant to fail with <!-- check: invalid-spec PATH: RULE -->)`);
      }
    }
    for (const b of byCheck("invalid-spec")) {
      const expected = b.marker!.arg.replace(/^invalid-spec\s+/, "");
      try {
        buildSpec(JSON.parse(b.text) as SpecInput);
        problems.push(`${where(b)}: marked invalid, but buildSpec accepts it`);
      } catch (error) {
        if (!(error instanceof InvalidSpecError)) problems.push(`${where(b)}: threw ${(error as Error).message.split("\n")[0]}, not InvalidSpecError`);
        else if (`${error.issues[0]!.path}: ${error.issues[0]!.rule}` !== expected)
          problems.push(`${where(b)}: fails with "${error.issues[0]!.path}: ${error.issues[0]!.rule}", the marker says "${expected}"`);
      }
    }
    assert.deepEqual(problems, [], problems.join("\n"));
  });

  it("agent configuration (```env blocks, agent-config JSON blocks and agent/deploy/agent.env.example) loads with the agent's config loader", async function () {
    const dir = await mkdtemp(join(tmpdir(), "shoal-docs-config-"));
    temps.push(dir);
    const problems: string[] = [];
    const envOf = (text: string) =>
      Object.fromEntries(
        text
          .split("\n")
          .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
          .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
      );
    const load = (what: string, options: Parameters<typeof loadConfig>[0]) => {
      try {
        loadConfig(options);
      } catch (error) {
        problems.push(`${what}: ${(error as Error).message}`);
      }
    };
    for (const b of byCheck("env")) {
      const env = envOf(b.text);
      const unknown = Object.keys(env).filter((k) => !(k in ENV_KEYS) && !["SHOAL_AGENT_PRIVATE_KEY", "SHOAL_AGENT_KEYSTORE_PASSWORD"].includes(k));
      if (unknown.length) problems.push(`${where(b)}: the agent reads no ${unknown.join(", ")}`);
      load(where(b), { env });
    }
    for (const [i, b] of byCheck("agent-config").entries()) {
      const file = join(dir, `config${i}.json`);
      await writeFile(file, b.text);
      load(where(b), { file, env: {} });
    }
    load("agent/deploy/agent.env.example", { env: envOf(readFileSync(join(root, "agent/deploy/agent.env.example"), "utf8")) });
    assert.deepEqual(problems, [], problems.join("\n"));
  });

  it("the canonical encodings shown are what encodeSpec writes", function () {
    const cid = "bafkreic2bmdt2awdxrx5vmmp2lakcs454sc3cyc5f4obzwrssrkpxa7fzi";
    const problems: string[] = [];
    for (const b of byCheck("encoding")) {
      const input = b.marker!.arg.replace(/^encoding\s+/, "").replaceAll("<cid>", cid);
      const encoded = new TextDecoder().decode(encodeSpec(JSON.parse(input) as SpecInput)).replaceAll(cid, "<cid>");
      if (encoded !== b.text.trim()) problems.push(`${where(b)}: encodeSpec gives\n${encoded}`);
    }
    assert.deepEqual(problems, [], problems.join("\n"));
  });

  it("layout trees name only directories and files that exist", function () {
    const problems: string[] = [];
    for (const b of byCheck("paths")) {
      let base = "";
      for (const [i, line] of b.text.split("\n").entries()) {
        if (!line.trim()) continue;
        const tokens = line.trim().split(/\s+/);
        if (!/^\s/.test(line)) base = tokens.shift()!;
        if (!existsSync(join(root, base))) problems.push(`${b.file}:${b.line + 1 + i}: ${base} does not exist`);
        for (const raw of tokens) {
          const token = raw.replace(/^[(]+|[),;:]+$/g, "");
          if (!/^[\w.{}*-]+(\/[\w.{},*-]*)*$/.test(token) || !(token.includes("/") || /\.[a-z]{1,4}$/.test(token))) continue;
          for (const path of expandBraces(token)) {
            if (!pathExists(join(base, path))) problems.push(`${b.file}:${b.line + 1 + i}: ${join(base, path)} does not exist`);
          }
        }
      }
    }
    assert.deepEqual(problems, [], problems.join("\n"));
  });

  describe("TypeScript", function () {
    let project: string;
    const files = new Map<string, CodeBlock>();

    before(async function () {
      project = await tempProject("shoal-docs-ts-");
      temps.push(project);
      for (const [i, b] of [...byCheck("ts-run"), ...byCheck("typecheck"), ...byCheck("example").filter((b) => b.lang === "ts" || b.lang === "tsx")].entries()) {
        const name = `block${i}.${b.lang === "tsx" ? "tsx" : "ts"}`;
        files.set(name, b);
        // A block without import or export would be a script sharing one global scope with the others.
        await writeFile(join(project, name), /^\s*(import|export)\s/m.test(b.text) ? b.text : `${b.text}export {};\n`);
      }
      await writeFile(
        join(project, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: { target: "ES2023", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true, jsx: "react-jsx", types: ["node"] },
          include: [...files.keys()],
        }),
      );
    });

    it("every ```ts and ```tsx block type-checks under tsc --strict against the built @shoal packages", async function () {
      const tsc = await run(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", project], { cwd: project });
      // Errors point at the block's line in the Markdown file.
      const errors = tsc.out.replace(/^(block\d+\.tsx?)\((\d+),(\d+)\)/gm, (_, name: string, line: string) => {
        const b = files.get(name)!;
        return `${where(b)}, line ${b.line + Number(line)}`;
      });
      assert.equal(tsc.code, 0, errors);
    });

    it("every ```ts block runs with node from the repository root, against a local chain where job 1 is posted", async function () {
      const runnable = byCheck("ts-run");
      if (runnable.length === 0) this.skip();
      const chain = await startLocalChain();
      try {
        const spec = JSON.parse(readFileSync(join(root, "examples/specs/wordfreq.json"), "utf8")) as SpecInput;
        await submitJob(chain.wallet(1), { spec, replicas: 1, quorum: 1, price: parseEther("0.01") });
        const problems: string[] = [];
        for (const [name, b] of files) {
          if (!runnable.includes(b)) continue;
          const result = await run(process.execPath, [join(project, name)], { env: { SHOAL_RPC_URL: chain.rpcUrl, SHOAL_PRIVATE_KEY: KEYS[1] } });
          if (result.code !== 0) problems.push(`${where(b)} exited with ${result.code}:\n${result.out}`);
        }
        assert.deepEqual(problems, [], problems.join("\n"));
      } finally {
        await chain.close();
      }
    });
  });

  it("every ```solidity block compiles with solc 0.8.30", function () {
    const sol = byCheck("solidity").concat(byCheck("example").filter((b) => b.lang === "solidity"));
    if (sol.length === 0) this.skip();
    const solc = require("solc") as { compile(input: string, callbacks: { import(path: string): { contents: string } | { error: string } }): string };
    const names = new Map(sol.map((b, i) => [`docs/block${i}.sol`, b]));
    const input = {
      language: "Solidity",
      sources: Object.fromEntries([...names].map(([name, b]) => [name, { content: b.text }])),
      settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun", outputSelection: Object.fromEntries([...names.keys()].map((n) => [n, { "*": ["evm.bytecode.object"] }])) },
    };
    const findImport = (path: string) => {
      const file = path.startsWith("@shoal/contracts/") ? join(root, "contracts", path.slice("@shoal/contracts/".length)) : join(root, "node_modules", path);
      return existsSync(file) ? { contents: readFileSync(file, "utf8") } : { error: `not found: ${path}` };
    };
    const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as { errors?: { severity: string; sourceLocation?: { file: string }; formattedMessage: string }[] };
    const problems = (output.errors ?? [])
      .filter((e) => e.severity === "error")
      .map((e) => {
        const b = e.sourceLocation && names.get(e.sourceLocation.file);
        return `${b ? where(b) : ""}: ${e.formattedMessage}`;
      });
    assert.deepEqual(problems, [], problems.join("\n"));
  });

  describe("shell", function () {
    it("every command of every ```sh block names real commands, subcommands, flags, scripts, packages, variables and paths", async function () {
      const commands = [...byCheck("shell"), ...byCheck("run-local")].flatMap((b) => shellCommands(b.text).map((c) => ({ ...c, b })));
      // All at once: the CLIs' help is read once per tool (and once per hardhat task), shared by every command.
      const results = await Promise.all(commands.map(({ argv }) => checkCommand(argv)));
      const problems = commands.flatMap(({ b, line, argv }, i) => results[i]!.map((problem) => `${b.file}:${b.line + line} (${argv.join(" ")}): ${problem}`));
      console.log(`      ${commands.length} commands in ${byCheck("shell").length + byCheck("run-local").length} blocks`);
      assert.deepEqual(problems, [], problems.join("\n"));
    });

    it("every `run-local` block runs for real, line by line, against a local chain", async function () {
      const blocksToRun = byCheck("run-local");
      if (blocksToRun.length === 0) this.skip();
      for (const b of blocksToRun) await runLocal(b, temps);
    });
  });
});

/** Runs a `run-local` shell block as its reader would (see the top of this file). */
async function runLocal(b: CodeBlock, temps: string[]): Promise<void> {
  const dir = await tempProject("shoal-docs-run-");
  temps.push(dir);
  await symlink(join(root, "examples"), join(dir, "examples"), "dir");
  const chain = await startLocalChain();
  const env: NodeJS.ProcessEnv = {
    PATH: [dirname(process.execPath), join(root, "node_modules/.bin"), process.env.PATH].join(":"),
    SHOAL_RPC_URL: chain.rpcUrl,
    SHOAL_AGENT_RPC_URLS: chain.rpcUrl,
    SHOAL_AGENT_GATEWAY_PORT: String(await freePort()),
    SHOAL_AGENT_POLL_INTERVAL_MS: "250",
  };
  const daemons: { child: ChildProcess; log: string[] }[] = [];
  const logs = () => daemons.map((d) => d.log.join("")).join("\n");
  try {
    for (const { line, argv } of shellCommands(b.text)) {
      const at = `${b.file}:${b.line + line} (${argv.join(" ")})`;
      if (argv[0] === "npx" && argv[1] === "hardhat" && (argv[2] === "node" || argv[2] === "ignition")) continue; // the in-process chain
      if (argv[0] === "export") {
        for (const a of argv.slice(1)) env[a.slice(0, a.indexOf("="))] = a.slice(a.indexOf("=") + 1);
        continue;
      }
      if (argv[0] === "npx" && argv[1] === "shoal-agent" && argv.at(-1) === "run") {
        // Its own process group: npx and the agent under it get the SIGTERM a Ctrl-C would send.
        const child = spawn(argv[0], argv.slice(1), { cwd: dir, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
        const log: string[] = [];
        child.stdout!.on("data", (d) => log.push(String(d)));
        child.stderr!.on("data", (d) => log.push(String(d)));
        daemons.push({ child, log });
        for (let t = 0; t < 600 && child.exitCode === null && !log.join("").includes("shoal agent running"); t++) await new Promise((r) => setTimeout(r, 50));
        assert.match(log.join(""), /shoal agent running/, `${at} did not start:\n${log.join("")}`);
        continue;
      }
      const result = await run(argv[0]!, argv.slice(1), { cwd: dir, env });
      assert.equal(result.code, 0, `${at} exited with ${result.code}:\n${result.out}\n${logs()}`);
    }
  } finally {
    for (const { child } of daemons) {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        process.kill(-child.pid!, "SIGTERM");
        await exited;
      }
    }
    await chain.close();
  }
}

/** `a/{b,c/{d,e}}` → `a/b`, `a/c/d`, `a/c/e`. */
function expandBraces(token: string): string[] {
  const open = token.indexOf("{");
  if (open < 0) return [token];
  let depth = 0;
  let close = open;
  const parts: string[] = [];
  let start = open + 1;
  for (let i = open; i < token.length; i++) {
    if (token[i] === "{") depth++;
    else if (token[i] === "}" && --depth === 0) {
      close = i;
      parts.push(token.slice(start, i));
      break;
    } else if (token[i] === "," && depth === 1) {
      parts.push(token.slice(start, i));
      start = i + 1;
    }
  }
  const [head, tail] = [token.slice(0, open), token.slice(close + 1)];
  return parts.flatMap((p) => expandBraces(head + p + tail));
}

/** A repository path that exists; `*` matches within the last segment (`lib/deploy*`). */
function pathExists(path: string): boolean {
  if (!path.includes("*")) return existsSync(join(root, path));
  const dir = dirname(path);
  const pattern = new RegExp(`^${path.slice(dir.length + 1).replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*")}$`);
  return existsSync(join(root, dir)) && readdirSync(join(root, dir)).some((f) => pattern.test(f));
}

/** The simple commands of a shell block: comments and continuations removed, split at `&&`, `||`, `;` and `|`. */
export function shellCommands(text: string): { line: number; argv: string[] }[] {
  const commands: { line: number; argv: string[] }[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const first = i + 1;
    let source = lines[i]!;
    while (source.endsWith("\\") && i + 1 < lines.length) source = source.slice(0, -1) + " " + lines[++i]!;
    let argv: string[] = [];
    let word: string | undefined;
    let quote: string | undefined;
    const end = () => {
      if (word !== undefined) argv.push(word);
      word = undefined;
    };
    const flush = () => {
      end();
      if (argv.length) commands.push({ line: first, argv });
      argv = [];
    };
    for (let j = 0; j < source.length; j++) {
      const c = source[j]!;
      if (quote) {
        if (c === quote) quote = undefined;
        else word = (word ?? "") + c;
      } else if (c === "'" || c === '"') {
        quote = c;
        word ??= "";
      } else if (c === "#" && word === undefined) break;
      else if (/\s/.test(c)) end();
      else if (c === ";" || c === "|" || (c === "&" && source[j + 1] === "&")) {
        flush();
        if (source[j + 1] === c) j++;
      } else if (c === ">" || (c === "2" && source[j + 1] === ">")) {
        // A redirection: drop it and its target.
        end();
        j += c === "2" ? 2 : 1;
        if (source[j] === "&") j++;
        while (source[j] === " ") j++;
        while (j < source.length && !/\s/.test(source[j]!)) j++;
      } else word = (word ?? "") + c;
    }
    flush();
  }
  return commands;
}

/** A CLI's options (and whether each takes a value), subcommands and positional arguments, from its help. */
type Help = { options: Map<string, boolean>; commands: Set<string>; required: number; optional: number };
type Tool = "shoal" | "shoal-agent" | "hardhat";
const helps = new Map<string, Promise<Help>>();
const BINS: Record<Tool, string> = { shoal: "sdk/cli/bin.mjs", "shoal-agent": "agent/bin/shoal-agent.mjs", hardhat: "node_modules/hardhat/dist/src/cli.js" };

/**
 * The help texts of a commander CLI, every command at once: its bin runs with
 * test/helpers/dumpHelp.mjs preloaded, which prints each command's help instead of parsing argv.
 */
const commanderHelps = new Map<Tool, Promise<Record<string, string>>>();
function commanderHelp(tool: Tool): Promise<Record<string, string>> {
  if (!commanderHelps.has(tool)) {
    const dump = join(root, "test/helpers/dumpHelp.mjs");
    commanderHelps.set(
      tool,
      run(process.execPath, ["--import", dump, join(root, BINS[tool])]).then(({ code, out }) => {
        if (code !== 0) throw new Error(`${tool} did not start: ${out.split("\n")[0]}`);
        return JSON.parse(out) as Record<string, string>;
      }),
    );
  }
  return commanderHelps.get(tool)!;
}

function parseHelp(tool: Tool, path: string[], out: string): Help {
  const options = new Map<string, boolean>();
  const commands = new Set<string>();
  let section = "";
  // Flags that take a value: `<x>` after them in commander's entries or hardhat's usage line.
  const valued = new Set([...out.matchAll(/(--?[\w-]+)[ =]<[^>]+>/g)].map((m) => m[1]!));
  if (tool === "hardhat") for (const flag of ["--network", "--config", "--build-profile", "--gas-stats-json"]) valued.add(flag);
  for (const line of out.split("\n")) {
    const heading = /^([A-Za-z][A-Za-z ]*):\s*$/.exec(line);
    if (heading) {
      section = heading[1]!.toLowerCase();
      continue;
    }
    const entry = /^\s{2,}(\S.*?)(\s{2,}|$)/.exec(line)?.[1];
    if (!entry) continue;
    if (section.includes("option")) {
      for (const flag of entry.match(/(?<![\w<])--?[\w-]+/g) ?? []) options.set(flag, valued.has(flag) || (tool !== "hardhat" && /[<[]/.test(entry)));
    } else if (section.includes("command") || section.includes("task")) {
      // commander lists `submit [options] <spec>`; hardhat lists a subtask with its parents, `ignition deploy`.
      const words = entry.split(/\s+/);
      const name = tool === "hardhat" ? words[path.length] : words[0];
      if (name) commands.add(name.replace(/\|.*$/, ""));
    }
  }
  // commander's usage line: `Usage: shoal job get [options] <jobId>`; optional `[x]`, variadic `x...`.
  const usage = tool === "hardhat" ? "" : (/^Usage: .*$/m.exec(out)?.[0] ?? "").replace(/\[(options|command)\]/g, "");
  const variadic = /\.\.\.[>\]]/.test(usage);
  return { options, commands, required: (usage.match(/<[^>]+>/g) ?? []).length, optional: variadic ? Infinity : (usage.match(/\[[^\]]+\]/g) ?? []).length };
}

function cliHelp(tool: Tool, path: string[]): Promise<Help> {
  const key = [tool, ...path].join(" ");
  if (!helps.has(key)) {
    const text =
      tool === "hardhat"
        ? run(process.execPath, [join(root, BINS[tool]), ...path, "--help"]).then(({ code, out }) => {
            if (code !== 0) throw new Error(`${key} --help exited with ${code}: ${out.split("\n")[0]}`);
            return out;
          })
        : commanderHelp(tool).then((all) => all[path.join(" ")] ?? "");
    helps.set(key, text.then((out) => parseHelp(tool, path, out)));
  }
  return helps.get(key)!;
}

/** Walks argv through a CLI's help: each subcommand must exist and each flag be an option of it or of a parent. */
async function checkCli(tool: Tool, args: string[]): Promise<{ problems: string[]; path: string[]; positionals: string[] }> {
  const path: string[] = [];
  const positionals: string[] = [];
  const options = new Map<string, boolean>();
  let help = await cliHelp(tool, path);
  for (const [k, v] of help.options) options.set(k, v);
  const problems: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith("-")) {
      const flag = arg.split("=")[0]!;
      if (!options.has(flag)) problems.push(`\`${[tool, ...path].join(" ")}\` has no option ${flag} (see its --help)`);
      else if (options.get(flag) && !arg.includes("=")) i++;
    } else if (help.commands.has(arg) && positionals.length === 0) {
      path.push(arg);
      help = await cliHelp(tool, path);
      for (const [k, v] of help.options) options.set(k, v);
    } else if (help.commands.size > 0 && positionals.length === 0 && path.length === 0) {
      problems.push(`\`${tool}\` has no command ${arg}`);
      break;
    } else positionals.push(arg);
  }
  if (tool !== "hardhat" && help.commands.size === 0 && (positionals.length < help.required || positionals.length > help.required + help.optional)) {
    problems.push(`\`${[tool, ...path].join(" ")}\` takes ${help.required}${help.optional ? `–${help.required + help.optional}` : ""} argument(s), given ${positionals.length}: ${positionals.join(" ") || "none"}`);
  }
  return { problems, path, positionals };
}

const WORKSPACES = new Map(
  pkg.workspaces.map((w) => {
    const p = JSON.parse(readFileSync(join(root, w, "package.json"), "utf8")) as { name: string; dependencies?: object; peerDependencies?: object; files?: string[] };
    return [p.name, { dir: w, deps: new Set([...Object.keys(p.dependencies ?? {}), ...Object.keys(p.peerDependencies ?? {})]), files: p.files ?? [] }];
  }),
);

/** Source text where the variables a user exports must be read. */
const SOURCES = ["sdk/cli", "sdk/src", "agent/src"]
  .flatMap((dir) => readdirSync(join(root, dir), { recursive: true, encoding: "utf8" }).map((f) => join(root, dir, f)))
  .filter((f) => f.endsWith(".ts") && statSync(f).isFile())
  .concat(join(root, "hardhat.config.ts"))
  .map((f) => readFileSync(f, "utf8"))
  .join("\n");

/** A path argument: one into the repository (or an installed @shoal package) must exist; others are the user's files. */
function checkPath(arg: string): string[] {
  let path = arg.replace(/^\.\//, "");
  const installed = /^node_modules\/(@shoal\/[\w-]+)\/(.*)$/.exec(path);
  if (installed) {
    const ws = WORKSPACES.get(installed[1]!);
    if (!ws) return [`${installed[1]} is not one of our packages`];
    if (!ws.files.some((f) => installed[2]!.startsWith(f.replace(/\/$/, "")))) return [`${installed[2]} is not in ${installed[1]}'s published files`];
    path = join(ws.dir, installed[2]!);
  }
  const top = path.split("/")[0]!;
  const repoDirs = ["agent", "sdk", "contracts", "docs", "examples", "ignition", "scripts", "test"];
  if (!repoDirs.includes(top)) return [];
  return pathExists(path) ? [] : [`${arg} does not exist in the repository`];
}

const SYSTEM = new Set(["mkdir", "cd", "cp", "cat", "install", "apt-get", "systemctl", "journalctl", "chown", "chmod", "ls", "echo", "useradd", "curl"]);
const DOCKER_VALUE_FLAGS = new Set(["-v", "--volume", "-e", "--env", "--env-file", "--name", "--network", "--restart", "-f", "--file", "-t", "--tag", "-u", "--user", "--build-arg"]);

/** What is wrong with one simple command of a shell block (empty when nothing is). */
async function checkCommand(argv: string[]): Promise<string[]> {
  const [cmd, ...args] = argv as [string, ...string[]];
  if (cmd === "time" || cmd === "sudo") return checkCommand(args);
  if (cmd === "export") {
    return args.flatMap((a) => {
      const name = a.split("=")[0]!;
      return new RegExp(`\\b${name}\\b`).test(SOURCES) ? [] : [`nothing in sdk/, agent/ or hardhat.config.ts reads ${name}`];
    });
  }
  if (cmd === "npx") {
    let i = 0;
    const problems: string[] = [];
    for (; i < args.length && args[i]!.startsWith("-"); i++) {
      if (args[i] === "-p" || args[i] === "--package") {
        const wanted = args[++i]!;
        const [name, version] = wanted.split(/(?<!^)@/);
        if (name === "node" && version !== pkg.devDependencies.node) problems.push(`node@${version} differs from package.json's devDependency node@${pkg.devDependencies.node}`);
      } else if (args[i] === "--") {
        i++;
        break;
      }
    }
    const [tool, ...rest] = args.slice(i);
    if (tool === "npm") return [...problems, ...(await checkCommand(["npm", ...rest]))];
    if (tool === "shoal" || tool === "shoal-agent") return [...problems, ...(await checkCli(tool, rest)).problems];
    if (tool === "hardhat") return [...problems, ...(await checkHardhat(rest))];
    if (tool === "tsx") return [...problems, ...checkPath(rest[0] ?? "")];
    return [...problems, `npx ${tool}: the docs check does not know this tool (extend checkCommand in test/docs/blocks.test.ts)`];
  }
  if (cmd === "npm") {
    const [sub, ...rest] = args;
    if (sub === "test") return pkg.scripts.test ? [] : ["package.json has no test script"];
    if (sub === "run") {
      const script = rest[0]!;
      if (!pkg.scripts[script]) return [`package.json has no script ${script}`];
      const extra = rest.slice(rest.indexOf("--") + 1);
      if (rest.includes("--") && /(^|&& )hardhat /.test(pkg.scripts[script]!)) {
        const hardhatArgs = pkg.scripts[script]!.split("&& ").at(-1)!.split(/\s+/).slice(1);
        return checkHardhat([...hardhatArgs, ...extra]);
      }
      return extra.flatMap(checkPath);
    }
    if (sub === "install" || sub === "i" || sub === "ci") {
      return rest
        .filter((a) => !a.startsWith("-"))
        .flatMap((a) => {
          if (a.endsWith(".tgz")) return [];
          if (WORKSPACES.has(a)) return [];
          const ours = [...WORKSPACES.values()].some((w) => w.deps.has(a.replace(/(?<!^)@.*$/, "")));
          return ours ? [] : [`npm install ${a}: neither one of our packages nor a dependency of one`];
        });
    }
    if (sub === "pack") {
      const names = rest.flatMap((a, j) => (rest[j - 1] === "-w" ? [a] : []));
      return names.filter((n) => !pkg.workspaces.includes(n)).map((n) => `-w ${n} is not a workspace`);
    }
    if (sub === "init") return [];
    return [`npm ${sub}: the docs check does not know this npm command (extend checkCommand in test/docs/blocks.test.ts)`];
  }
  if (cmd === "docker") {
    const [sub, ...rest] = args;
    const problems: string[] = [];
    const positionals: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      if (rest[i]!.startsWith("-")) {
        if (sub === "build" && (rest[i] === "-f" || rest[i] === "--file")) problems.push(...checkPath(rest[i + 1]!));
        if (DOCKER_VALUE_FLAGS.has(rest[i]!)) i++;
      } else {
        positionals.push(...rest.slice(i));
        break;
      }
    }
    // `docker run … shoal-agent ARGS`: the image's entrypoint is shoal-agent.
    if (sub === "run" && positionals[0] === "shoal-agent" && positionals.length > 1) problems.push(...(await checkCli("shoal-agent", positionals.slice(1))).problems);
    return problems;
  }
  if (SYSTEM.has(cmd)) return args.filter((a) => !a.startsWith("-")).flatMap(checkPath);
  if (cmd.startsWith("scripts/") || cmd.startsWith("./")) return checkPath(cmd);
  return [`${cmd}: the docs check does not know this command (extend checkCommand in test/docs/blocks.test.ts, or mark the block not runnable with a reason)`];
}

/** `hardhat TASK … --flags`: the task exists, its flags exist, module paths and networks exist. */
async function checkHardhat(args: string[]): Promise<string[]> {
  const { problems, positionals } = await checkCli("hardhat", args);
  const config = readFileSync(join(root, "hardhat.config.ts"), "utf8");
  for (const [i, a] of args.entries()) {
    if (a === "--network" && args[i + 1] !== "localhost" && !new RegExp(`\\b${args[i + 1]}: \\{`).test(config)) problems.push(`hardhat.config.ts has no network ${args[i + 1]}`);
    if (a === "--parameters") problems.push(...checkPath(args[i + 1]!));
  }
  for (const p of positionals) {
    if (/^[A-Z][A-Z0-9_]+$/.test(p) && !config.includes(`configVariable("${p}")`)) problems.push(`hardhat.config.ts reads no configuration variable ${p}`);
    else problems.push(...checkPath(p));
  }
  return problems;
}
