/**
 * A real browser for the dapp's tests: Debian's Chromium (`apt-get install chromium`) driven by
 * playwright-core, never a downloaded browser. Each page records its console errors and uncaught
 * page errors, so a test can assert there were none, and screenshots go to a git-ignored folder
 * (test-artifacts/app/) to be looked at.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/app/", import.meta.url));

/** Desktop and phone viewports the pages are screenshotted at. */
export const VIEWPORTS = { desktop: { width: 1280, height: 900 }, phone: { width: 375, height: 812 } } as const;

/**
 * Why the browser tests cannot run here, or undefined when they can. In CI (`CI` set) a missing
 * Chromium is an error, not a skip: `.ci/run` installs it.
 */
export function browserUnavailable(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing in CI: .ci/run installs it with apt-get install chromium`);
  return `no browser: ${CHROMIUM} is missing (apt-get install -y chromium); the dapp's browser tests are skipped`;
}

export type TrackedPage = {
  page: Page;
  /** Console messages of type "error" and uncaught exceptions, in order. */
  errors: string[];
  /** Saves a full-page PNG as test-artifacts/app/<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
};

export type TestBrowser = {
  browser: Browser;
  /** A new context (own storage) and page at the given viewport, with its errors tracked. */
  newPage(options?: { viewport?: { width: number; height: number }; init?: (context: BrowserContext) => Promise<void> }): Promise<TrackedPage>;
  /** Closes every page opened so far (an open page keeps polling the node). */
  closePages(): Promise<void>;
  close(): Promise<void>;
};

export async function launchBrowser(): Promise<TestBrowser> {
  // A fresh profile per launch: launch() itself passes Chromium a new temporary --user-data-dir
  // (and refuses one in args, which belongs to launchPersistentContext) and removes it on close.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  await mkdir(ARTIFACTS, { recursive: true });
  const contexts: BrowserContext[] = [];
  return {
    browser,
    async newPage(options = {}) {
      const context = await browser.newContext({ viewport: options.viewport ?? VIEWPORTS.desktop });
      contexts.push(context);
      if (options.init) await options.init(context);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(`console: ${message.text()}`);
      });
      page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
      return {
        page,
        errors,
        async screenshot(name) {
          const path = join(ARTIFACTS, `${name}.png`);
          await page.screenshot({ path, fullPage: true });
          return path;
        },
      };
    },
    async closePages() {
      for (const context of contexts.splice(0)) await context.close().catch(() => undefined);
    },
    async close() {
      for (const context of contexts.splice(0)) await context.close().catch(() => undefined);
      await browser.close();
    },
  };
}
