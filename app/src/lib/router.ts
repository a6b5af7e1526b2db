// Hash routes, so a static build works from any path: #/, #/jobs/new, #/jobs/<id>, #/providers,
// #/account, #/training, #/training/<coordinator>.
import { useSyncExternalStore } from "react";
import { type Address, isAddress } from "viem";

export type Route =
  | { page: "home" }
  | { page: "newJob" }
  | { page: "job"; jobId: bigint }
  | { page: "providers" }
  | { page: "account" }
  | { page: "training"; coordinator?: Address }
  | { page: "notFound"; path: string };

/** The route a location hash names. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "").replace(/\/+$/, "") || "/";
  if (path === "/") return { page: "home" };
  if (path === "/jobs/new") return { page: "newJob" };
  const job = /^\/jobs\/(\d{1,30})$/.exec(path);
  if (job) return { page: "job", jobId: BigInt(job[1]!) };
  if (path === "/providers") return { page: "providers" };
  if (path === "/account") return { page: "account" };
  if (path === "/training") return { page: "training" };
  const training = /^\/training\/(0x[0-9a-fA-F]{40})$/.exec(path);
  if (training && isAddress(training[1]!)) return { page: "training", coordinator: training[1] as Address };
  return { page: "notFound", path };
}

/** The href of a route, for links. */
export const href = {
  home: "#/",
  newJob: "#/jobs/new",
  job: (id: bigint | number | string) => `#/jobs/${id}`,
  providers: "#/providers",
  account: "#/account",
  training: (coordinator?: string) => (coordinator ? `#/training/${coordinator}` : "#/training"),
};

/** Goes to a route (adds a history entry). */
export function navigate(to: string): void {
  window.location.hash = to.replace(/^#/, "");
}

const subscribe = (onChange: () => void) => {
  window.addEventListener("hashchange", onChange);
  return () => window.removeEventListener("hashchange", onChange);
};

/** The current route; re-renders on hash changes. */
export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return parseRoute(hash);
}
