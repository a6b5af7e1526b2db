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
  app ??= import("../../scripts/app/start.js").then(({ startApp }) => startApp({ mode: "preview" }));
  browser ??= launchBrowser();
  return { app: await app, browser: await browser };
}

after(async function () {
  this.timeout(60_000);
  const [a, b] = await Promise.allSettled([app, browser]);
  if (b?.status === "fulfilled" && b.value) await b.value.close();
  if (a?.status === "fulfilled" && a.value) await a.value.close();
});

/** `?mock=<address>` turns on wagmi's mock connector for that (node-unlocked) account. */
export function appUrl(app: App, route: string, o: { mock?: string } = {}): string {
  const url = new URL(app.url);
  if (o.mock) url.searchParams.set("mock", o.mock);
  url.hash = route;
  return url.toString();
}
