// Messages between the page and the piece CID worker.
export type PieceWorkerRequest = { file: File };
export type PieceWorkerMessage =
  | { type: "progress"; bytes: number; total: number }
  | { type: "done"; v1: string; v2: string; paddedSize: string; size: number }
  | { type: "error"; message: string };

/** Starts the worker on `file`; returns a function that stops it. */
export function hashPiece(file: File, onMessage: (message: PieceWorkerMessage) => void): () => void {
  const worker = new Worker(new URL("./pieceCid.worker.ts", import.meta.url), { type: "module" });
  worker.onmessage = (event: MessageEvent<PieceWorkerMessage>) => {
    onMessage(event.data);
    if (event.data.type !== "progress") worker.terminate();
  };
  worker.onerror = (event) => {
    onMessage({ type: "error", message: event.message || "The piece CID worker failed to start." });
    worker.terminate();
  };
  worker.postMessage({ file } satisfies PieceWorkerRequest);
  return () => worker.terminate();
}
