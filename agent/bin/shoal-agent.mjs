#!/usr/bin/env node
// Loads the agent's TypeScript through tsx (its imports use .js paths that name .ts files).
import { register } from "tsx/esm/api";

// node:sqlite is stable in use but still flagged experimental in Node 22: keep stderr to our own lines.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === "string" ? rest[0] : rest[0]?.type;
  if (type === "ExperimentalWarning" && String(warning).includes("SQLite")) return;
  return emitWarning.call(process, warning, ...rest);
};

register();
await import("../src/cli/main.ts");
