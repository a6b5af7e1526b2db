/**
 * One dapp for every browser test file: the local chain with agents and the built app served by
 * `vite preview` (scripts/app/start.ts), started on first use and stopped after the whole run,
 * and one Chromium. A missing /usr/bin/chromium skips the tests with a message (outside CI only).
 */
import type { Context } from "mocha";
import { browserUnavailable, launchBrowser, type TestBrowser } from "../helpers/browser.js";

type App = Awaited<ReturnType<typeof import("../../scripts/app/start.js").startApp>>;

let app: Promise<App> | undefined;
let browser: Promise<TestBrowser> | undefined;

/** Starts (once) the app and the browser, or skips the calling suite when no browser is installed. */
export async function dapp(context: Context): Promise<{ app: App; browser: TestBrowser }> {
  const missing = browserUnavailable();
  if (missing) {
    console.log(`      skipped: ${missing}`);
    context.skip();
  }
  users++;
  clearTimeout(idle);
  await stopping; // an app being stopped holds its ports until it is gone
  app ??= import("../../scripts/app/start.js").then(({ startApp }) => startApp({ mode: "preview" }));
  browser ??= launchBrowser();
  return { app: await app, browser: await browser };
}

let users = 0;
let idle: NodeJS.Timeout | undefined;

/**
 * For each browser test file's `after`: closes the file's pages, and once no file has used the app
 * for a few seconds (the next browser test file, run right after, takes it over), stops the app and
 * the browser, so the rest of the suite does not share the machine with them.
 */
export async function releaseDapp(): Promise<void> {
  users = Math.max(0, users - 1);
  await (await browser?.catch(() => undefined))?.closePages();
  if (users === 0) {
    idle = setTimeout(() => void stopAll(), 5_000);
    idle.unref();
  }
}

/** A stop under way: another caller waits for it rather than closing the app a second time. */
let stopping: Promise<void> | undefined;

function stopAll(): Promise<void> {
  const [started, opened] = [app, browser];
  app = undefined;
  browser = undefined;
  if (started === undefined && opened === undefined) return stopping ?? Promise.resolve();
  const stop = (async () => {
    await stopping;
    const [a, b] = await Promise.allSettled([started, opened]);
    if (b?.status === "fulfilled" && b.value) await b.value.close();
    if (a?.status === "fulfilled" && a.value) await a.value.close();
  })();
  const tracked: Promise<void> = stop.finally(() => {
    if (stopping === tracked) stopping = undefined;
  });
  stopping = tracked;
  return tracked;
}

after(async function () {
  this.timeout(60_000);
  clearTimeout(idle);
  await stopAll();
});

// The first test after the browser test files (none holds the app: a browser file takes it in its
// `before`) stops the app before it runs, rather than letting the idle timer stop it during that
// test: the app's agents, stopping, still hold Docker containers that a later test would see.
beforeEach(async function () {
  if (users > 0 || (app === undefined && stopping === undefined)) return;
  this.timeout(60_000);
  clearTimeout(idle);
  await stopAll();
});

/** `?mock=<address>` turns on wagmi's mock connector for that (node-unlocked) account. */
export function appUrl(app: App, route: string, o: { mock?: string } = {}): string {
  const url = new URL(app.url);
  if (o.mock) url.searchParams.set("mock", o.mock);
  url.hash = route;
  return url.toString();
}
