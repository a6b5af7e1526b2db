import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

// The workspace packages (@shoal/sdk in sdk/, @shoal/contracts in contracts/, @shoal/agent in
// agent/) are installed from npm by people outside this repository: none may reach into another
// through a relative path, and the SDK's browser entry points may not reach a Node built-in.

const root = fileURLToPath(new URL("../../", import.meta.url));

async function filesUnder(dir: string, ext: RegExp, skip: RegExp): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(root, dir), { withFileTypes: true, recursive: true })) {
    const path = relative(root, join(entry.parentPath, entry.name));
    if (entry.isFile() && ext.test(entry.name) && !skip.test(path)) out.push(path);
  }
  return out;
}

/** Every relative import in `file` that lands outside `pkgDir`, as "file: specifier". */
async function escapes(file: string, pkgDir: string, pattern: RegExp): Promise<string[]> {
  const text = await readFile(join(root, file), "utf8");
  const out: string[] = [];
  for (const match of text.matchAll(pattern)) {
    const spec = match[1]!;
    if (!spec.startsWith(".")) continue;
    const target = resolve(root, dirname(file), spec);
    if (!target.startsWith(join(root, pkgDir) + sep)) out.push(`${file}: ${spec}`);
  }
  return out;
}

const TS_IMPORT = /(?:from|import)\s*\(?\s*["']([^"']+)["']/g;
const SOL_IMPORT = /import\s+(?:\{[^}]*\}\s+from\s+)?["']([^"']+)["']/g;

describe("package boundaries", function () {
  it("no file under agent/ imports from sdk/src (or anything outside agent/) by a relative path", async function () {
    const files = await filesUnder("agent", /\.(ts|mjs|js)$/, /^agent\/(dist|node_modules)\//);
    assert.ok(files.length > 30, `found only ${files.length} agent files`);
    const bad = (await Promise.all(files.map((f) => escapes(f, "agent", TS_IMPORT)))).flat();
    assert.deepEqual(bad, [], "the agent uses the SDK by its package name, @shoal/sdk");
  });

  it("no file under sdk/ imports anything outside sdk/ by a relative path", async function () {
    const files = await filesUnder("sdk", /\.(ts|mjs|js)$/, /^sdk\/(dist|node_modules)\//);
    const bad = (await Promise.all(files.map((f) => escapes(f, "sdk", TS_IMPORT)))).flat();
    assert.deepEqual(bad, []);
  });

  it("the published contracts import nothing outside contracts/ by a relative path, and nothing from contracts/test", async function () {
    const files = await filesUnder("contracts", /\.sol$/, /^contracts\/(test|node_modules)\//);
    const bad = (await Promise.all(files.map((f) => escapes(f, "contracts", SOL_IMPORT)))).flat();
    assert.deepEqual(bad, []);
    for (const file of files) assert.doesNotMatch(await readFile(join(root, file), "utf8"), /import[^;]*\/test\//, file);
  });

  describe("browser entry points of @shoal/sdk reach no Node built-in", function () {
    for (const entry of ["@shoal/sdk", "@shoal/sdk/abi", "@shoal/sdk/spec", "@shoal/sdk/react", "@shoal/sdk/ml"]) {
      it(entry, async function () {
        const reached = await nodeBuiltinsReachedFrom(entry);
        assert.deepEqual(reached, [], `${entry} must stay browser-safe: move Node-only code to @shoal/sdk/node`);
      });
    }

    it("the check itself sees a Node built-in: @shoal/sdk/node reaches node:fs", async function () {
      const reached = await nodeBuiltinsReachedFrom("@shoal/sdk/node");
      assert.ok(reached.some((r) => r.includes("node:fs")), reached.join(", "));
    });
  });
});

/**
 * Bundles `entry` for the browser as a dapp's bundler would (esbuild, the built package, its
 * exports map and "sideEffects": false) and lists every import of a Node built-in it resolves on
 * the way, before tree-shaking could hide it. Peer dependencies stay external.
 */
export async function nodeBuiltinsReachedFrom(entry: string): Promise<string[]> {
  const reached: string[] = [];
  const spy: Plugin = {
    name: "node-builtins",
    setup(b) {
      b.onResolve({ filter: /^node:|^(fs|path|os|crypto|stream|child_process|worker_threads|http|https|net|url|util|buffer)(\/.*)?$/ }, (args) => {
        reached.push(`${relative(root, args.importer)} → ${args.path}`);
        return { path: args.path, external: true };
      });
    },
  };
  await build({
    stdin: { contents: `export * from "${entry}";`, resolveDir: root, loader: "ts" },
    bundle: true,
    write: false,
    platform: "browser",
    format: "esm",
    logLevel: "silent",
    external: ["viem", "viem/*", "wagmi", "wagmi/*", "react", "react/*", "@tanstack/react-query"],
    plugins: [spy],
  });
  return [...new Set(reached)].sort();
}
