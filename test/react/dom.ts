import { GlobalRegistrator } from "@happy-dom/global-registrator";

// Node's own versions stay in place: viem and wagmi's mock connector fetch over real HTTP, and
// happy-dom's fetch would apply browser CORS rules.
const KEEP = [
  "fetch", "Request", "Response", "Headers", "FormData", "AbortController", "AbortSignal", "URL", "URLSearchParams",
  "TextEncoder", "TextDecoder", "crypto", "performance", "setTimeout", "clearTimeout", "setInterval", "clearInterval",
  "setImmediate", "clearImmediate", "queueMicrotask", "structuredClone",
] as const;

/**
 * Gives React DOM a document (happy-dom), keeping Node's network and timer globals. Call it
 * before importing React DOM, TanStack Query or wagmi: they decide at load time whether they run
 * on a server (TanStack's `isServer` turns `refetchInterval` off), so load them afterwards with
 * `await import()`.
 */
export function registerDom() {
  const saved = Object.fromEntries(KEEP.map((k) => [k, Object.getOwnPropertyDescriptor(globalThis, k)]));
  GlobalRegistrator.register({ url: "http://localhost/" });
  for (const [k, d] of Object.entries(saved)) if (d) Object.defineProperty(globalThis, k, d);
}

/** Removes happy-dom's globals so later test files see plain Node. */
export async function unregisterDom() {
  if (GlobalRegistrator.isRegistered) await GlobalRegistrator.unregister();
}

/** Retries `check` until it stops throwing (or `timeout` ms pass, rethrowing its last error). */
export async function waitFor<T>(check: () => T, { timeout = 30_000, interval = 20 } = {}): Promise<T> {
  const start = Date.now();
  for (;;) {
    try {
      return check();
    } catch (error) {
      if (Date.now() - start > timeout) throw error;
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
