import { DEFAULT_TIMEOUT_MS, download, type HttpSourceOptions, urlOf } from "./http.js";
import type { CidSource } from "./types.js";

export type IpfsHttpOptions = Omit<HttpSourceOptions, "probeTimeoutMs"> & {
  /** How logs and errors name this source (default "ipfs-http"). */
  name?: string | undefined;
};

/**
 * A trustless gateway (`GET <baseUrl>/ipfs/<cid>?format=car`, IPIP-402): Curio, Boost/booster-http,
 * Kubo or the provider's own. The CAR is untrusted; the resolver verifies every block.
 */
export function ipfsHttp({ baseUrl, timeoutMs = DEFAULT_TIMEOUT_MS, headers, name = "ipfs-http" }: IpfsHttpOptions): CidSource {
  return {
    kind: "cid",
    name,
    async open(cid, { signal }) {
      return download(urlOf(baseUrl, `/ipfs/${cid}?format=car&dag-scope=all`), cid.toString(), {
        signal,
        timeoutMs,
        headers: { accept: "application/vnd.ipld.car", ...headers },
      });
    },
  };
}
