#!/usr/bin/env node
// The `shoal` client CLI. Plain JS so any Node can start it: it refuses an old Node in one line,
// then loads the TypeScript sources through tsx (they import `./x.js` paths that name .ts files).
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(`shoal: Node ${process.versions.node} is too old (need >= 22.13); run it with the Node 22 in node_modules/.bin\n`);
  process.exit(1);
}
const { fileURLToPath } = await import("node:url");
const { register } = await import("tsx/esm/api");
// The repository's tsconfig, wherever the command runs from (not one found in the cwd).
register({ tsconfig: fileURLToPath(new URL("../../tsconfig.json", import.meta.url)) });
try {
  await import("./main.ts");
} catch (error) {
  // Only a broken install gets here (main.ts reports its own errors): still one line, no stack.
  const line = String(error instanceof Error ? error.message : error).split("\n").find((l) => l.trim()) ?? "failed to start";
  process.stderr.write(`shoal: cannot start: ${line.trim()}\n`);
  process.exit(1);
}
