/**
 * Every benchmark in one run, and one table: each figure, its baseline measured in the same run
 * (a native binary, `docker run --rm`, the previous path), the ratio, the goal and a published
 * anchor for context. Figures are printed, never asserted.
 *
 *   npm run bench                         all sections but `data` (about 10 minutes here)
 *   npm run bench -- gas bundle           only those sections
 *   npm run bench -- --readme             also rewrite the README's figures table with this run's
 *   npm run bench -- --verbose            stream each benchmark's own output
 *
 * Sections: gas, blocks, bundle, agent, throughput, wasm, docker, app, data. Each benchmark still runs on
 * its own (`npm run gas`, `npm run bench:agent`, …) and prints its detail; here its output goes to
 * a log file (named in the output) and its headline figures come back through
 * scripts/lib/figures.ts.
 */
import { spawn } from "node:child_process";
import { createWriteStream, existsSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Figure, figuresTable, meetsGoal } from "./lib/figures.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsx = ["node", "--import", "tsx/esm"];
const hardhatRun = (script: string) => ["hardhat", "run", script];

interface Section {
  name: string;
  command: string[];
  /** Why the section cannot run here, if it cannot. */
  unavailable?: () => string | undefined;
  /** Only when named (slow or large on disk). */
  optIn?: boolean;
}

const SECTIONS: Section[] = [
  { name: "gas", command: hardhatRun("scripts/gas.ts") },
  { name: "blocks", command: hardhatRun("scripts/bench-blocks.ts") },
  { name: "bundle", command: [...tsx, "scripts/bundle-size.ts"] },
  { name: "agent", command: hardhatRun("scripts/bench-agent.ts") },
  { name: "throughput", command: hardhatRun("scripts/bench-throughput.ts") },
  { name: "wasm", command: [...tsx, "scripts/bench-wasm.ts"] },
  {
    name: "docker",
    command: [...tsx, "examples/docker/overhead.ts", "15", "64", "volume"],
    unavailable: () => (existsSync("/var/run/docker.sock") ? undefined : "no Docker engine (scripts/ci/start-docker.sh starts one)"),
  },
  {
    name: "app",
    command: [...tsx, "scripts/bench-app.ts"],
    unavailable: () =>
      !existsSync(join(root, "scripts/bench-app.ts"))
        ? "no app benchmark"
        : existsSync("/usr/bin/chromium")
          ? undefined
          : "no /usr/bin/chromium (apt-get install -y chromium)",
  },
  { name: "data", command: hardhatRun("scripts/bench-data.ts"), optIn: true },
];

const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a.startsWith("--")));
const named = args.filter((a) => !a.startsWith("--"));
for (const flag of flags) {
  if (!["--readme", "--verbose"].includes(flag)) usage(`unknown option ${flag}`);
}
for (const name of named) {
  if (!SECTIONS.some((s) => s.name === name)) usage(`unknown section "${name}"`);
}
const chosen = SECTIONS.filter((s) => (named.length ? named.includes(s.name) : !s.optIn));

const dir = await mkdtemp(join(tmpdir(), "shoal-bench-"));
const out = join(dir, "figures.jsonl");
await writeFile(out, "");
const load = loadavg()[0].toFixed(1);
console.log(`Shoal benchmarks: ${chosen.map((s) => s.name).join(", ")}; ${cpus().length} cores, load ${load}; logs in ${dir}\n`);

const failed: string[] = [];
const skipped: string[] = [];
for (const section of chosen) {
  const why = section.unavailable?.();
  if (why) {
    console.log(`  ${section.name.padEnd(11)} skipped: ${why}`);
    skipped.push(`${section.name} (${why})`);
    continue;
  }
  const started = performance.now();
  const log = join(dir, `${section.name}.log`);
  const code = await runSection(section, log);
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  if (code === 0) console.log(`  ${section.name.padEnd(11)} done in ${seconds} s`);
  else {
    console.log(`  ${section.name.padEnd(11)} FAILED (exit ${code}) after ${seconds} s: see ${log}`);
    failed.push(section.name);
  }
}

const figures = (await readFile(out, "utf8"))
  .split("\n")
  .filter(Boolean)
  .map((line) => JSON.parse(line) as Figure);
const table = figuresTable(figures);
console.log(`\n${table}\n`);
const missed = figures.filter((f) => !meetsGoal(f));
if (missed.length) console.log(`Goals not met: ${missed.map((f) => f.name).join("; ")}`);
if (skipped.length) console.log(`Skipped: ${skipped.join("; ")}`);

if (flags.has("--readme")) {
  if (failed.length || skipped.length || named.length) {
    console.log("README not rewritten: --readme needs every default section to run and succeed");
  } else {
    await writeReadme(table);
    console.log("README.md: figures table rewritten");
  }
}
if (failed.length) {
  console.error(`bench: ${failed.join(", ")} failed; their logs are in ${dir}`);
  process.exitCode = 1;
}

/** Runs one benchmark with SHOAL_BENCH_OUT set, its output to `log` (and the terminal with --verbose). */
function runSection(section: Section, log: string): Promise<number> {
  return new Promise((resolve) => {
    const [command, ...rest] = section.command;
    const child = spawn(command, rest, {
      cwd: root,
      env: { ...process.env, SHOAL_BENCH_OUT: out, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}` },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const file = createWriteStream(log);
    for (const stream of [child.stdout, child.stderr]) {
      stream.on("data", (chunk: Buffer) => {
        file.write(chunk);
        if (flags.has("--verbose")) process.stdout.write(chunk);
      });
    }
    child.on("error", (error) => {
      file.end(`\n${error.message}\n`);
      resolve(127);
    });
    child.on("close", (code) => file.end(() => resolve(code ?? 1)));
  });
}

/** Replaces the README's table between the bench markers with this run's. */
async function writeReadme(table: string): Promise<void> {
  const path = join(root, "README.md");
  const readme = await readFile(path, "utf8");
  const begin = "<!-- bench:begin -->";
  const end = "<!-- bench:end -->";
  const from = readme.indexOf(begin);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md has no ${begin} … ${end} block`);
  const date = new Date().toISOString().slice(0, 10);
  const body = `${begin}\nFrom \`npm run bench -- --readme\` on ${date}: ${cpus().length} cores, load ${load} at the start.\n\n${table}\n`;
  await writeFile(path, readme.slice(0, from) + body + readme.slice(to));
}

function usage(message: string): never {
  console.error(`bench: ${message}; sections: ${SECTIONS.map((s) => s.name).join(", ")}; options: --readme, --verbose`);
  process.exit(2);
}
