/**
 * The dapp's figures (`npm run bench:app`), printed, never asserted:
 *  1. first load: the built app's entry JS (the entry script and the chunks it preloads), gzip;
 *  2. time to interactive on the local preview server: navigation start → the connect button is
 *     enabled (the config is loaded, wagmi is up), median of 5 cold loads in Debian's Chromium;
 *  3. the job page's lag behind the chain: for each on-chain event of a job (slot claimed,
 *     committed, revealed, settled), the time from the node announcing its block (a newHeads
 *     subscription here) to the page showing it. The app's config names the node's WebSocket, so
 *     the page reads on each pushed head; its poll (500 ms) is the safety net.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { createPublicClient, createWalletClient, http, parseEther, parseEventLogs, webSocket } from "viem";
import { hardhat } from "viem/chains";
import { socketClientCache } from "viem/utils";
import { jobMarketAbi, submitJob } from "../sdk/src/index.js";
import { startApp } from "./app/start.js";
import { CHROMIUM, launchBrowser } from "../test/helpers/browser.js";
import { existsSync } from "node:fs";
import { recordFigure } from "./lib/figures.js";

const DIST = fileURLToPath(new URL("../app/dist/", import.meta.url));
const LOADS = 5;
const say = (line: string) => console.log(line);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

const app = await startApp({ mode: "preview", port: 0 });
const browser = existsSync(CHROMIUM) ? await launchBrowser() : undefined;
let unwatch = () => {};
try {
  // 1. First load: index.html's module script and its modulepreload links (what the browser
  // fetches before the first page renders; pages are lazy chunks fetched after).
  const html = await readFile(join(DIST, "index.html"), "utf8");
  const entry = [...html.matchAll(/<script[^>]+type="module"[^>]+src="\.?\/?([^"]+)"/g), ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="\.?\/?([^"]+)"/g)].map((m) => m[1]!);
  let raw = 0;
  let gzip = 0;
  for (const file of new Set(entry)) {
    const bytes = await readFile(join(DIST, file));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  recordFigure({ section: "app", name: "dapp first-load JS (gzip)", value: Number((gzip / 1024).toFixed(1)), unit: "KiB", better: "lower", note: `${new Set(entry).size} entry chunks; pages load on demand` });
  say(`first load JS: ${kib(gzip)} gzip (${kib(raw)} raw) in ${new Set(entry).size} chunk(s): ${[...new Set(entry)].join(", ")}`);

  if (!browser) {
    say(`no ${CHROMIUM}: time to interactive and job page lag not measured (apt-get install -y chromium)`);
  } else {
    // 2. Time to interactive, cold: a fresh context (empty cache) per load.
    const tti: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      const { page } = await browser.newPage();
      await page.goto(app.url);
      const ms = await page.waitForFunction(
        () => {
          const button = document.querySelector<HTMLButtonElement>("[data-testid=connect-button]");
          return button && !button.disabled ? performance.now() : false;
        },
        undefined,
        { polling: "raf", timeout: 60_000 },
      );
      tti.push(Number(await ms.jsonValue()));
      await page.context().close();
    }
    recordFigure({ section: "app", name: "dapp time to interactive (preview server)", value: Math.round(median(tti)), unit: "ms", better: "lower", note: `median of ${LOADS} cold loads, Chromium` });
    say(`time to interactive (navigation start → connect button enabled), ${LOADS} cold loads: median ${median(tti).toFixed(0)} ms (${tti.map((t) => t.toFixed(0)).join(", ")})`);

    // 3. Job page lag: the node's blocks are seen from here as it announces them (newHeads over
    // its WebSocket, as the page gets them); the page's slot and job states are recorded by a
    // MutationObserver the moment they change. Same machine, same clock.
    const publicClient = createPublicClient({ chain: hardhat, transport: webSocket(app.rpcUrl.replace(/^http/, "ws")) });
    const blockSeen = new Map<bigint, number>();
    unwatch = publicClient.watchBlockNumber({ emitOnBegin: true, emitMissed: true, onBlockNumber: (n) => void (blockSeen.has(n) || blockSeen.set(n, Date.now())) });
    const { page } = await browser.newPage();
    await page.addInitScript(`
      window.__seen = [];
      const known = new Set();
      const note = (what) => { if (!known.has(what)) { known.add(what); window.__seen.push({ what, at: Date.now() }); } };
      // After every DOM change, the states now shown: each slot's and the job's, first sighting kept.
      new MutationObserver(() => {
        for (const el of document.querySelectorAll("[data-testid^=slot-][data-state]")) note(el.getAttribute("data-testid") + " " + el.getAttribute("data-state"));
        const job = document.querySelector("[data-testid=job-state]");
        if (job) note("job " + job.textContent.trim());
      }).observe(document, { subtree: true, attributes: true, childList: true, characterData: true });
    `);
    // The app is loaded before the job is posted; the job page is then one hash change away, so
    // the page is watching before the agents' first claims land.
    await page.goto(app.url);
    await page.getByTestId("connect-button").waitFor();
    const wallet = createWalletClient({ chain: hardhat, transport: http(app.rpcUrl), account: app.client });
    const { jobId, hash } = await submitJob(wallet, {
      spec: {
        version: 1,
        engine: { type: "wasm", module: app.wasmModuleCid, args: [] },
        inputs: [{ piece: app.piece.cid, mount: "/inputs/data.txt", locality: true }],
        resources: { cpu: 1, memoryMb: 64, timeoutSec: 30 },
      },
      replicas: 3,
      quorum: 2,
      price: parseEther("0.1"),
      market: app.market,
      commitWindow: 300,
      revealWindow: 300,
    });
    await page.evaluate(`location.hash = "#/jobs/${jobId}"`);
    const settled = await page
      .locator("[data-testid=job-state]:has-text('Settled')")
      .waitFor({ timeout: 180_000 })
      .then(() => true, () => false);
    unwatch();
    if (!settled) throw new Error(`the job page never showed job ${jobId} settled (data-testid=job-state)`);
    const seen = (await page.evaluate("window.__seen")) as { what: string; at: number }[];
    const first = (what: RegExp) => seen.find((s) => what.test(s.what))?.at;
    const from = (await publicClient.getTransactionReceipt({ hash })).blockNumber;
    const logs = parseEventLogs({ abi: jobMarketAbi, logs: await publicClient.getLogs({ address: app.market, fromBlock: from }) }).filter(
      (l) => "jobId" in l.args && l.args.jobId === jobId,
    );
    const lags: { event: string; ms: number }[] = [];
    for (const log of logs) {
      const mined = blockSeen.get(log.blockNumber);
      const slot = "slot" in log.args ? Number(log.args.slot) : undefined;
      const shown =
        log.eventName === "SlotClaimed" ? first(new RegExp(`^slot-${slot} (claimed|committed|revealed)$`))
        : log.eventName === "ResultCommitted" ? first(new RegExp(`^slot-${slot} (committed|revealed)$`))
        : log.eventName === "ResultRevealed" ? first(new RegExp(`^slot-${slot} revealed$`))
        : log.eventName === "JobFinalized" ? first(/^job Settled/)
        : undefined;
      // The page and this process get each head from the node at about the same moment; a page
      // that drew the event first (by a millisecond or two) lagged 0 ms.
      if (mined !== undefined && shown !== undefined) lags.push({ event: `${log.eventName}${slot === undefined ? "" : ` slot ${slot}`}`, ms: Math.max(0, shown - mined) });
    }
    say(`job page lag behind the chain (head announced → page shows it), heads pushed over the WebSocket, poll interval 500 ms:`);
    for (const l of lags) say(`  ${l.event.padEnd(24)} ${String(l.ms).padStart(5)} ms`);
    if (lags.length)
      recordFigure({ section: "app", name: "job page lag behind an on-chain event", value: Math.max(...lags.map((l) => l.ms)), unit: "ms", better: "lower", goal: { op: "<=", value: 500 }, note: `max over ${lags.length} events; median ${median(lags.map((l) => l.ms))} ms; heads pushed over the WebSocket` });
    if (lags.length) say(`  median ${median(lags.map((l) => l.ms))} ms, max ${Math.max(...lags.map((l) => l.ms))} ms over ${lags.length} events`);
  }
} finally {
  unwatch();
  for (const socket of socketClientCache.values()) socket.close();
  await browser?.close();
  await app.close();
}
