import { InvalidFr32LengthError, PayloadTooSmallError } from "../../src/index.js";
import { PieceFileUnreadableError, pieceCidOfFile } from "../../src/node.js";
import type { GlobalOptions } from "../context.js";
import { UsageError } from "../errors.js";
import { out, outJson } from "../io.js";

export type PieceOptions = { fr32?: boolean; threads?: number };

/**
 * `shoal piece <file> [--fr32] [--threads N]`: prints the file's PieceCID v2 and v1, payload size
 * and padded size (CommP on every core); a progress bar on stderr when it is a terminal.
 */
export async function pieceCommand(path: string, options: PieceOptions, global: GlobalOptions): Promise<void> {
  const bar = process.stderr.isTTY ? progressBar() : undefined;
  let piece;
  try {
    piece = await pieceCidOfFile(path, { layout: options.fr32 ? "fr32" : "payload", threads: options.threads, onProgress: bar?.update });
  } catch (error) {
    if (error instanceof PieceFileUnreadableError || error instanceof PayloadTooSmallError || error instanceof InvalidFr32LengthError)
      throw new UsageError(error.shortMessage);
    throw error;
  } finally {
    bar?.clear();
  }
  const { v2, v1, root, payloadSize, paddedSize, height, padding } = piece;
  if (global.json) return outJson({ file: path, pieceCid: v2, pieceCidV1: v1, root, payloadSize, paddedSize, height, padding });
  out(`PieceCID v2   ${v2}`);
  out(`PieceCID v1   ${v1}`);
  out(`payload size  ${payloadSize} bytes`);
  out(`padded size   ${paddedSize} bytes`);
}

/** One stderr line redrawn at most ten times a second: a bar, the percentage and MiB/s. */
function progressBar(): { update: (done: bigint, total: bigint) => void; clear: () => void } {
  const started = performance.now();
  let drawn = 0;
  return {
    update(done, total) {
      const now = performance.now();
      if (now - drawn < 100 && done < total) return;
      drawn = now;
      const fraction = total > 0n ? Number(done) / Number(total) : 1;
      const width = 30;
      const filled = Math.round(fraction * width);
      const rate = Number(done) / 1048576 / Math.max((now - started) / 1000, 1e-3);
      process.stderr.write(`\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${rate.toFixed(1)} MiB/s`);
    },
    clear() {
      if (drawn > 0) process.stderr.write("\r\x1b[K");
    },
  };
}
