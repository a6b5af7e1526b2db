#!/usr/bin/env node
// The `shoal` client CLI. Plain JS so any Node can start it: it refuses an old Node in one line,
// then runs the compiled CLI (dist/cli, built by `tsc -b` and shipped in the package).
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(`shoal: Node ${process.versions.node} is too old (need >= 22.13); run it with Node 22 (for example the one in node_modules/.bin)\n`);
  process.exit(1);
}
try {
  await import("../dist/cli/main.js");
} catch (error) {
  // Only a broken install gets here (main.js reports its own errors): still one line, no stack.
  const line = String(error instanceof Error ? error.message : error).split("\n").find((l) => l.trim()) ?? "failed to start";
  process.stderr.write(`shoal: cannot start: ${line.trim()}\n`);
  process.exit(1);
}
