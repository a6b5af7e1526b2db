// The dapp's providers, account and training pages in a real browser (Debian's Chromium) against
// the local chain with agents: each shows what the chain holds, at desktop and phone widths, with
// no console error; an RPC outage and a rejected withdrawal are one sentence and the page recovers.
import assert from "node:assert/strict";
import { type Address, createPublicClient, createWalletClient, formatEther, http, parseEventLogs } from "viem";
import { hardhat } from "viem/chains";
import {
  cancelJob,
  federatedAveragingAbi,
  getFederatedRun,
  getLogsChunked,
  getOwedJobs,
  providerRegistryAbi,
  submitJob,
} from "../../sdk/src/index.js";
import { VIEWPORTS } from "../helpers/browser.js";
import { appUrl, dapp, releaseDapp } from "./fixture.js";
import { runFederatedRounds } from "./federatedRun.js";
import { installTestWallet, setWalletRejects, WALLET_NAME } from "./wallet.js";

/** Chromium logs each request an outage aborts as a console error; those are the outage, not a bug. */
const NETWORK_NOISE = /Failed to load resource|net::ERR_FAILED/;

describe("dapp pages in Chromium: providers, account, training", function () {
  this.timeout(300_000);
  let ctx: Awaited<ReturnType<typeof dapp>>;
  let publicClient: ReturnType<typeof createPublicClient>;
  before(async function () {
    this.timeout(600_000);
    ctx = await dapp(this);
    // cacheTime 0: event scans read the head now, not a block number cached by an earlier test.
    publicClient = createPublicClient({ chain: hardhat, transport: http(ctx.app.rpcUrl), cacheTime: 0 });
  });
  afterEach(async function () {
    await ctx?.browser.closePages(); // an open page keeps polling the node
  });
  after(async function () {
    this.timeout(60_000);
    await releaseDapp();
  });

  it("lists every registered provider with its stake, free stake, gateway, miner and locality proofs", async function () {
    const { app, browser } = ctx;
    const logs = await getLogsChunked(publicClient, { address: app.registry, fromBlock: 0n });
    const registered = parseEventLogs({ abi: providerRegistryAbi, logs, eventName: "ProviderRegistered" }).map((l) => l.args.provider);
    assert.ok(registered.length > 0, "the app's chain has registered providers");
    for (const [name, viewport] of Object.entries(VIEWPORTS)) {
      const { page, errors, screenshot } = await browser.newPage({ viewport });
      await page.goto(appUrl(app, "#/providers"));
      const rows = page.getByTestId("provider-row");
      await rows.first().waitFor();
      assert.equal(await rows.count(), registered.length);
      for (const address of registered) {
        const row = page.locator(`[data-testid=provider-row][data-address="${address}"]`);
        const record = await publicClient.readContract({ address: app.registry, abi: providerRegistryAbi, functionName: "provider", args: [address] });
        assert.equal(await row.getByTestId("provider-stake").textContent(), `${Number(formatEther(record.stake))} FIL`);
        assert.equal(await row.getByTestId("provider-gateway").textContent(), record.gatewayUrl);
        assert.match((await row.getByTestId("provider-miner").textContent())!, record.minerId === 0n ? /none bound/ : new RegExp(`^f0${record.minerId}$`));
        assert.match((await row.getByTestId("provider-proofs").textContent())!, /^\d+ of \d+ claims?$/);
      }
      await assertNoHorizontalScroll(page);
      console.log(`      screenshot: ${await screenshot(`providers-${name}`)}`);
      assert.deepEqual(errors, []);
    }
  });

  it("shows an RPC outage as one sentence and recovers when the node answers again", async function () {
    const { app, browser } = ctx;
    const { page, errors, screenshot } = await browser.newPage();
    const rpc = (url: URL) => url.origin === new URL(app.rpcUrl).origin;
    await page.route(rpc, (route) => route.abort("connectionrefused"));
    // The node's WebSocket (the app's first transport) is down too: each socket is closed as it opens.
    let down = true;
    await page.routeWebSocket((url) => url.host === new URL(app.rpcUrl).host, (ws) => (down ? ws.close() : ws.connectToServer()));
    await page.goto(appUrl(app, "#/providers"));
    const alert = page.getByRole("alert").first();
    await alert.waitFor({ timeout: 60_000 });
    const text = (await alert.textContent())!;
    assert.match(text, /RPC|node|connection/i);
    assert.equal(text.split("\n").length, 1, "one line");
    console.log(`      outage shown as: ${text}`);
    await screenshot("providers-rpc-down");
    await page.unroute(rpc);
    down = false;
    // Still usable: the page reads the registry again on its next poll (Retry does it at once).
    await page.getByTestId("provider-row").first().waitFor({ timeout: 60_000 });
    await page.getByRole("alert").first().waitFor({ state: "detached" });
    await page.getByRole("link", { name: /training/i }).first().click();
    await page.getByRole("heading", { name: "Training runs" }).waitFor();
    assert.deepEqual(errors.filter((e) => !NETWORK_NOISE.test(e)), []);
  });

  it("lists the account's jobs and owed amounts; a rejected withdrawal is one sentence, then withdraw pays out", async function () {
    const { app, browser } = ctx;
    // The client is owed a refund: it posts a job priced below every agent's minimum (none claims
    // it) and cancels it, from its account unlocked on the node.
    const wallet = createWalletClient({ chain: hardhat, transport: http(app.rpcUrl), account: app.client });
    const { jobId } = await submitJob(wallet, {
      spec: {
        version: 1,
        engine: { type: "wasm", module: app.wasmModuleCid, args: [] },
        inputs: [{ piece: app.piece.cid, mount: "/inputs/data", locality: false }],
        resources: { cpu: 1, memoryMb: 64, timeoutSec: 30 },
      },
      replicas: 1,
      quorum: 1,
      price: 1_000n,
      market: app.market,
    });
    await cancelJob(wallet, { jobId, market: app.market });
    const owed = await getOwedJobs(publicClient, { account: app.client, market: app.market });
    const total = owed.reduce((sum, o) => sum + o.amount, 0n);
    assert.ok(total > 0n);

    // The phone first: the desktop pass ends by withdrawing.
    for (const [name, viewport] of Object.entries(VIEWPORTS).reverse()) {
      const { page, errors, screenshot } = await browser.newPage({ viewport });
      await installTestWallet(page, { rpcUrl: app.rpcUrl, account: app.client, chainId: app.chainId });
      await page.goto(appUrl(app, "#/account"));
      await connectInjected(page);
      const row = page.locator(`[data-testid=my-job-row][data-job="${jobId}"]`);
      await row.waitFor();
      assert.equal(await row.getAttribute("data-state"), "Cancelled");
      assert.equal(await page.getByTestId("owed-amount").getAttribute("data-wei"), String(total));
      await assertNoHorizontalScroll(page);
      console.log(`      screenshot: ${await screenshot(`account-${name}`)}`);
      assert.deepEqual(errors, []);
      if (name !== "desktop") continue;

      // A rejected signature: one sentence, nothing sent, the button usable again.
      await setWalletRejects(page, true);
      await page.getByTestId("withdraw-button").click();
      const alert = page.getByTestId("withdraw-status").getByRole("alert");
      await alert.waitFor();
      assert.match((await alert.textContent())!, /rejected/i);
      assert.equal((await alert.textContent())!.split("\n").length, 1);
      await screenshot("account-rejected");
      assert.equal(await page.getByTestId("owed-amount").getAttribute("data-wei"), String(total));

      await setWalletRejects(page, false);
      const before = await publicClient.getBalance({ address: app.client });
      await page.getByTestId("withdraw-button").click();
      await page.getByTestId("withdraw-status").getByText(/Withdrawn in block \d+/).waitFor({ timeout: 60_000 });
      await page.locator('[data-testid=owed-amount][data-wei="0"]').waitFor();
      assert.ok((await publicClient.getBalance({ address: app.client })) > before - 10n ** 16n, "the refund came back (less gas)");
      assert.deepEqual(await getOwedJobs(publicClient, { account: app.client, market: app.market }), []);
      console.log(`      screenshot: ${await screenshot("account-withdrawn")}`);
      assert.deepEqual(errors, []);
    }
  });

  it("shows the coordinators, and each run's rounds, accuracy chart and model CIDs as on chain", async function () {
    const { app, browser } = ctx;
    assert.ok(app.federated.length > 0, "the app's chain has a FederatedAveraging coordinator");
    const coordinator = app.federated[0]!;
    // Real rounds on chain: this test plays the provider of a 3-round run (./federatedRun.ts).
    const accuracies = [0.6212, 0.8105, 0.8731];
    const fake = await runFederatedRounds(app, accuracies);
    try {
      const logs = await getLogsChunked(publicClient, { address: coordinator, fromBlock: 0n });
      const runIds = parseEventLogs({ abi: federatedAveragingAbi, logs, eventName: "RunStarted" }).map((l) => l.args.runId);
      const latest = await getFederatedRun(publicClient, { coordinator, runId: fake.runId });
      assert.equal(latest.phase, "Done");
      for (const [name, viewport] of Object.entries(VIEWPORTS)) {
        const { page, errors, screenshot } = await browser.newPage({ viewport });
        await page.goto(appUrl(app, "#/training"));
        await page.getByTestId("coordinator-row").first().waitFor();
        assert.equal(await page.getByTestId("coordinator-row").count(), app.federated.length);
        console.log(`      screenshot: ${await screenshot(`training-${name}`)}`);
        await page.getByRole("link", { name: coordinator }).click();
        await page.getByTestId("training-run").first().waitFor();
        assert.equal(await page.getByTestId("training-run").count(), runIds.length);
        const run = page.locator(`[data-testid=training-run][data-run="${fake.runId}"]`);
        assert.equal(await run.getAttribute("data-phase"), "Done");
        assert.equal(await run.getByTestId("training-round").count(), accuracies.length);
        // Every round's metrics.json downloaded from the provider's gateway and verified: a point each.
        await run.locator(`[data-testid=accuracy-chart][data-points="${accuracies.length}"]`).waitFor({ timeout: 60_000 });
        for (const [i, round] of latest.history.entries()) {
          const row = run.locator(`[data-testid=training-round][data-round="${i + 1}"]`);
          assert.equal(await row.getByTestId("round-model").textContent(), round.modelCid);
          assert.equal(await row.getByTestId("round-accuracy").textContent(), `${(accuracies[i]! * 100).toFixed(2)} %`);
        }
        await assertNoHorizontalScroll(page);
        console.log(`      screenshot: ${await screenshot(`training-coordinator-${name}`)}`);
        assert.deepEqual(errors, []);
      }
    } finally {
      await fake.close();
    }
  });
});

/** Connects the page's EIP-6963 test wallet with the header's connect button. */
async function connectInjected(page: import("playwright-core").Page) {
  await page.getByTestId("connect-button").click();
  const choice = page.getByRole("menuitem", { name: WALLET_NAME });
  // One wallet found: the button connects it at once; several: pick ours from the menu.
  await Promise.race([choice.click(), page.getByTestId("account-address").waitFor()]);
  await page.getByTestId("account-address").waitFor();
}

/** Nothing wider than the viewport (a 375 px phone must not scroll sideways). */
async function assertNoHorizontalScroll(page: import("playwright-core").Page) {
  const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok(scroll <= client, `the page is ${scroll} px wide in a ${client} px viewport`);
}

export type { Address };
