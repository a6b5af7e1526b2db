import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";

import { ExecutionError } from "../types.js";
import { COMPONENT } from "./module.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Walks the output directory after the run, without following anything: every entry must be a
 * directory or a regular file with a single link and a UTF-8 name (else OUTPUT_INVALID), and the
 * file bytes must stay within `maxBytes` and the entries within `maxEntries` (else OUTPUT_LIMIT).
 * With no symlinks and no hard links, nothing in the tree can resolve outside it.
 *
 * The walk makes its system calls synchronously (an output of a few files costs microseconds, not a
 * round trip through libuv's pool per entry) and yields to the event loop every
 * {@link ENTRIES_PER_TURN} entries, so a large tree does not hold up the agent.
 *
 * Returns the file bytes.
 */
const ENTRIES_PER_TURN = 256;

export async function inspectOutputs(outputDir: string, maxBytes: number, maxEntries: number): Promise<number> {
  let bytes = 0;
  let entries = 0;
  const invalid = (path: string, why: string): never => {
    throw new ExecutionError("OUTPUT_INVALID", COMPONENT, `output ${path} ${why}`, {
      hint: "results may hold regular files and directories only",
    });
  };
  const over = (what: string): never => {
    throw new ExecutionError("OUTPUT_LIMIT", COMPONENT, `the job wrote ${what}`, { hint: "raise resources.maxOutputBytes or write less" });
  };
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const raw of readdirSync(dir, { encoding: "buffer" })) {
      let name: string;
      try {
        name = utf8.decode(raw);
      } catch {
        return invalid(`${rel}/${raw.toString("latin1")}`, "has a name that is not UTF-8");
      }
      const path = join(dir, name);
      const display = rel === "" ? name : `${rel}/${name}`;
      const info = lstatSync(path);
      if (++entries > maxEntries) over(`more than ${maxEntries} output entries`);
      if (entries % ENTRIES_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
      if (info.isSymbolicLink()) invalid(display, "is a symlink");
      else if (info.isDirectory()) await walk(path, display);
      else if (info.isFile()) {
        if (info.nlink > 1) invalid(display, "is a hard link");
        bytes += info.size;
        if (bytes > maxBytes) over(`more than resources.maxOutputBytes (${maxBytes} bytes)`);
      } else invalid(display, "is a special file (socket, FIFO or device)");
    }
  };
  const root = lstatSync(outputDir);
  if (!root.isDirectory()) invalid(".", "is not a directory");
  await walk(outputDir, "");
  return bytes;
}
