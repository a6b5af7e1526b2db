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
 * root, 406 when the client does not accept a CAR, 404 for a result not stored here.
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
    response.writeHead(200, {
      "content-type": CAR_CONTENT_TYPE,
      "content-length": size,
      "content-disposition": `attachment; filename="${cid}.car"`,
      "cache-control": "public, max-age=29030400, immutable",
      etag: `"${cid}.car"`,
      vary: "Accept",
      "x-content-type-options": "nosniff",
      "x-ipfs-path": `/ipfs/${cid}`,
      "x-ipfs-roots": cid.toString(),
    });
    if (request.method === "HEAD") {
      response.end();
      return;
    }
    // The open handle keeps the CAR readable even if prune removes it meanwhile.
    await pipeline(file.createReadStream({ autoClose: false }), response).catch(() => {
      response.destroy(); // the client went away: nothing to report
    });
  } finally {
    await file.close();
  }
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
