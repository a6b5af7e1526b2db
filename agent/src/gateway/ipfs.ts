import { open } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";

import { CID } from "multiformats/cid";

import type { ResultStore } from "../results/store.js";

export const CAR_MEDIA_TYPE = "application/vnd.ipld.car";
/** Our CARs: CARv1, blocks in depth-first order, each once (see the SDK's packResult). */
const CAR_CONTENT_TYPE = `${CAR_MEDIA_TYPE}; version=1; order=dfs; dups=n`;

/**
 * `GET|HEAD /ipfs/<cid>?format=car` (or `Accept: application/vnd.ipld.car`), the trustless
 * gateway convention (IPIP-402) restricted to what the agent holds: whole results by root CID.
 * Only CARs are served, so clients verify every byte: 400 for a malformed CID or a path below the
 * root, 406 when the client does not accept a CAR, 404 for a result not stored here. One byte
 * range of the CAR may be asked for (`Range: bytes=<n>-`, how downloads resume): 206 with
 * Content-Range, 416 when it starts past the end.
 */
export async function serveIpfs(
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  results: Pick<ResultStore, "get">,
): Promise<void> {
  const rest = url.pathname.slice("/ipfs/".length).replace(/\/$/, "");
  if (rest === "" || rest.includes("/"))
    return text(response, 400, "Only whole results are served: GET /ipfs/<root cid>?format=car\n");
  let cid: CID;
  try {
    cid = CID.parse(rest);
  } catch {
    return text(response, 400, `Not a CID: ${rest.slice(0, 100)}\n`);
  }
  if (!acceptsCar(url.searchParams.get("format"), request.headers.accept))
    return text(response, 406, `This gateway serves CARs only: add ?format=car or Accept: ${CAR_MEDIA_TYPE}\n`);

  const path = await results.get(cid.toString());
  const file = path === undefined ? undefined : await open(path, "r").catch(() => undefined);
  if (file === undefined) return text(response, 404, `Result ${cid} is not stored here\n`);
  try {
    const { size } = await file.stat();
    const etag = `"${cid}.car"`;
    const headers = {
      "content-type": CAR_CONTENT_TYPE,
      "content-disposition": `attachment; filename="${cid}.car"`,
      "cache-control": "public, max-age=29030400, immutable",
      "accept-ranges": "bytes",
      etag,
      vary: "Accept",
      "x-content-type-options": "nosniff",
      "x-ipfs-path": `/ipfs/${cid}`,
      "x-ipfs-roots": cid.toString(),
    };
    // If-Range names the representation a partial download started from: a range of another is not served.
    const ifRange = request.headers["if-range"];
    const range = ifRange === undefined || ifRange === etag ? parseRange(request.headers.range, size) : undefined;
    if (range === "unsatisfiable") {
      response.writeHead(416, { ...headers, "content-range": `bytes */${size}`, "content-length": 0 });
      response.end();
      return;
    }
    const { start, end } = range ?? { start: 0, end: size - 1 };
    response.writeHead(range === undefined ? 200 : 206, {
      ...headers,
      "content-length": end - start + 1,
      ...(range === undefined ? {} : { "content-range": `bytes ${start}-${end}/${size}` }),
    });
    if (request.method === "HEAD" || end < start) {
      response.end();
      return;
    }
    // Streamed from disk (never buffered whole); the open handle keeps the CAR readable even if
    // prune removes it meanwhile.
    await pipeline(file.createReadStream({ autoClose: false, start, end, highWaterMark: 1_048_576 }), response).catch(() => {
      response.destroy(); // the client went away: nothing to report
    });
  } finally {
    await file.close();
  }
}

/**
 * A `Range` header against a CAR of `size` bytes (RFC 9110 §14): one `bytes=` range, as
 * `start-end`, `start-` or `-suffix`, clamped to the CAR. Undefined (serve the whole CAR) when
 * there is none, it is malformed, or it asks for several ranges; "unsatisfiable" when it starts
 * past the end (or asks for an empty suffix).
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? "");
  if (match === null || (match[1] === "" && match[2] === "")) return undefined;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  if (match[2] !== "" && Number(match[2]) < start) return undefined; // invalid: ignored, as the RFC says
  if (start >= size) return "unsatisfiable";
  const end = match[2] === "" ? size - 1 : Number(match[2]);
  return { start, end: Math.min(end, size - 1) };
}

/**
 * Whether the request asks for a CAR: `format=car` wins; otherwise an Accept entry
 * `application/vnd.ipld.car` (with `version=1` or no version) with a non-zero q.
 */
export function acceptsCar(format: string | null, accept: string | undefined): boolean {
  if (format !== null) return format === "car";
  for (const entry of (accept ?? "").split(",")) {
    const [type, ...parameters] = entry.split(";").map((part) => part.trim().toLowerCase());
    if (type !== CAR_MEDIA_TYPE) continue;
    const params = new Map(parameters.map((p) => p.split("=").map((s) => s.trim()) as [string, string]));
    const version = params.get("version");
    const q = params.has("q") ? Number(params.get("q")) : 1;
    if ((version === undefined || version === "1") && q > 0) return true;
  }
  return false;
}

export function text(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body), ...headers });
  response.end(response.req.method === "HEAD" ? undefined : body);
}
