#!/usr/bin/env node
// The `shoal-agent` bin. Plain JS so any Node can start it: it refuses an old Node in one line,
// then runs the compiled agent (dist/, built by `tsc -b` and shipped in the package).
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(`shoal-agent: Node ${process.versions.node} is too old (need >= 22.13 for node:sqlite and node:wasi)\n`);
  process.exit(1);
}

// node:sqlite is stable in use but still flagged experimental in Node 22: keep stderr to our own lines.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === "string" ? rest[0] : rest[0]?.type;
  if (type === "ExperimentalWarning" && String(warning).includes("SQLite")) return;
  return emitWarning.call(process, warning, ...rest);
};

try {
  await import("../dist/cli/main.js");
} catch (error) {
  // Only a broken install gets here (main.js reports its own errors): still one line, no stack.
  const line = String(error instanceof Error ? error.message : error).split("\n").find((l) => l.trim()) ?? "failed to start";
  process.stderr.write(`shoal-agent: cannot start: ${line.trim()}\n`);
  process.exit(1);
}
