import { BaseError, ContractFunctionRevertedError, HttpRequestError, TimeoutError } from "viem";

/**
 * One line saying what failed. viem's first line is often generic (`HTTP request failed.`,
 * `Missing or invalid parameters.`): name the RPC URL that did not answer, the contract's error,
 * or the node's own words.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof BaseError)) return error instanceof Error ? (error.message.split("\n")[0] ?? String(error)) : String(error);
  const http = error.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError);
  if (http instanceof HttpRequestError || http instanceof TimeoutError) {
    // fetch's cause chain ends in what really happened: ECONNREFUSED, ENOTFOUND, "bad port", …
    let code: string | undefined;
    let innermost: string | undefined;
    for (let e: unknown = http.cause; e && typeof e === "object" && code === undefined; e = (e as { cause?: unknown }).cause) {
      const c = (e as { code?: unknown }).code;
      if (typeof c === "string") code = c;
      else if (e instanceof AggregateError) code = (e.errors.find((x) => typeof (x as { code?: unknown }).code === "string") as { code: string } | undefined)?.code;
      if (e instanceof Error) innermost = e.message;
    }
    code ??= innermost;
    const status =
      http instanceof HttpRequestError && http.status ? `HTTP ${http.status}` : http instanceof TimeoutError ? "timed out" : (code ?? http.details.split("\n")[0] ?? "no answer");
    return `the RPC ${http.url} did not answer (${status})`;
  }
  const short = (error.shortMessage.split("\n")[0] ?? "").replace(/\.$/, "");
  const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (revert instanceof ContractFunctionRevertedError && revert.data?.errorName) {
    return `${short}: ${revert.data.errorName}(${(revert.data.args ?? []).map(String).join(", ")})`;
  }
  const details = error.details?.split("\n")[0];
  return details && !error.shortMessage.includes(details) ? `${short}: ${details}` : short;
}
