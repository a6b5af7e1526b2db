// Computes a file's piece CID (CommP) off the main thread, streaming the file through the SDK's
// hasher in constant memory, and reports progress so the page can show a bar.
import { createPieceHasher, MIN_PIECE_PAYLOAD_SIZE } from "@shoal/sdk";
import type { PieceWorkerMessage, PieceWorkerRequest } from "./pieceCidProtocol";

const post = (message: PieceWorkerMessage) => (self as unknown as Worker).postMessage(message);

self.onmessage = async (event: MessageEvent<PieceWorkerRequest>) => {
  const { file } = event.data;
  try {
    if (file.size < MIN_PIECE_PAYLOAD_SIZE) {
      post({ type: "error", message: `The file has ${file.size} bytes; a piece needs at least ${MIN_PIECE_PAYLOAD_SIZE}.` });
      return;
    }
    const hasher = createPieceHasher();
    const reader = file.stream().getReader();
    let done = 0;
    let last = 0;
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      hasher.write(chunk.value);
      done += chunk.value.length;
      const now = performance.now();
      if (now - last > 50) {
        last = now;
        post({ type: "progress", bytes: done, total: file.size });
      }
    }
    const { v1, v2, paddedSize } = hasher.digest();
    post({ type: "progress", bytes: done, total: file.size });
    post({ type: "done", v1, v2, paddedSize: paddedSize.toString(), size: file.size });
  } catch (error) {
    post({ type: "error", message: error instanceof Error ? error.message.split("\n")[0]! : String(error) });
  }
};
