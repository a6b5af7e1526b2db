// A client's whole job in a real browser (Debian's Chromium) against the local chain and agents:
// connect, post a job from a file (piece CID computed in the page), watch it settle slot by slot,
// see the verified result; a broken spec field is shown next to the field.
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, http } from "viem";
import { hardhat } from "viem/chains";
import { getJob } from "../../sdk/src/index.js";
import { VIEWPORTS } from "../helpers/browser.js";
import { appUrl, dapp, releaseDapp } from "./fixture.js";

describe("dapp in Chromium: connect, post a job from a file, watch it settle, verify the result", function () {
  this.timeout(300_000);
  let ctx: Awaited<ReturnType<typeof dapp>>;
  before(async function () {
    this.timeout(600_000);
    ctx = await dapp(this);
  });
  afterEach(async function () {
    await ctx?.browser.closePages(); // an open page keeps polling the node
  });
  after(async function () {
    this.timeout(60_000);
    await releaseDapp();
  });

  it("connects the mock connector's account from ?mock=<address>", async function () {
    const { app, browser } = ctx;
    for (const [name, viewport] of Object.entries(VIEWPORTS)) {
      const { page, errors, screenshot } = await browser.newPage({ viewport });
      await page.goto(appUrl(app, "#/", { mock: app.client }));
      const account = page.getByTestId("account-address");
      await account.waitFor();
      assert.equal((await account.getAttribute("title"))?.toLowerCase(), app.client.toLowerCase());
      await page.getByRole("status").first().waitFor({ state: "detached" }); // the recent jobs loaded
      console.log(`      screenshot: ${await screenshot(`home-${name}`)}`);
      assert.deepEqual(errors, []);
    }
  });

  it("shows a broken spec rule next to its field and submits nothing", async function () {
    const { app, browser } = ctx;
    const { page, errors, screenshot } = await browser.newPage();
    await page.goto(appUrl(app, "#/jobs/new", { mock: app.client }));
    const form = page.getByTestId("new-job-form");
    await form.waitFor();
    await form.locator("[name=replicas]").fill("2");
    await form.locator("[name=quorum]").fill("3");
    await form.locator("[name=memoryMb]").fill("0");
    // Errors show once the form was submitted; nothing is sent while a rule is broken.
    await page.getByTestId("submit-job").click();
    const error = page.getByTestId("field-quorum-error");
    await error.waitFor();
    assert.match((await error.textContent())!, /quorum/i);
    assert.equal((await error.textContent())!.split("\n").length, 1);
    await page.getByTestId("field-memoryMb-error").waitFor();
    assert.match(page.url(), /#\/jobs\/new$/);
    console.log(`      screenshot: ${await screenshot("new-job-invalid")}`);
    // Fixing a field clears its error.
    await form.locator("[name=quorum]").fill("2");
    await page.getByTestId("field-quorum-error").waitFor({ state: "detached" });
    await page.getByTestId("field-memoryMb-error").waitFor();
    assert.deepEqual(errors, []);
  });

  it("posts a WASM job over a file, shows each slot's life, quorum and settlement, and the verified result", async function () {
    const { app, browser } = ctx;
    const publicClient = createPublicClient({ chain: hardhat, transport: http(app.rpcUrl) });
    const dir = await mkdtemp(join(tmpdir(), "shoal-app-test-"));
    const file = join(dir, "data.txt");
    await writeFile(file, app.piece.bytes);
    const { page, errors, screenshot } = await browser.newPage();
    await page.goto(appUrl(app, "#/jobs/new", { mock: app.client }));
    const form = page.getByTestId("new-job-form");
    await form.waitFor();
    await form.locator("input[type=file]").setInputFiles(file);
    // The piece CID is computed in the browser (a worker) and matches the one the agents store.
    await page.locator(`[data-testid=piece-cid]:has-text("${app.piece.cid}")`).waitFor({ timeout: 60_000 });
    await form.locator("[name=module]").fill(app.wasmModuleCid);
    await form.locator("[name=replicas]").fill("3");
    await form.locator("[name=quorum]").fill("2");
    await page.getByTestId("escrow-total").waitFor();
    console.log(`      escrow shown: ${await page.getByTestId("escrow-total").textContent()}`);
    console.log(`      screenshot: ${await screenshot("new-job-filled")}`);
    await page.getByTestId("submit-job").click();
    await page.waitForURL(/#\/jobs\/\d+$/, { timeout: 60_000 });
    const jobId = BigInt(/#\/jobs\/(\d+)$/.exec(page.url())![1]!);

    // The timeline follows the chain to settlement.
    await page.locator("[data-testid=job-state]:has-text('Settled')").waitFor({ timeout: 180_000 });
    const job = await getJob(publicClient, { jobId, market: app.market });
    assert.equal(job.status, "Settled");
    // Each winner's slot shows its reveal (the timeline and the job state poll separately).
    for (const slot of job.winners) await page.locator(`[data-testid=slot-${slot}][data-state=revealed]`).waitFor();
    assert.equal(await page.locator("[data-testid^=slot-][data-state=revealed]").count(), job.winners.length);
    await page.getByTestId("quorum").waitFor();
    await page.getByTestId("settlement").waitFor();
    await page.locator(`[data-testid=result-cid]:has-text("${job.resultCid}")`).waitFor();
    await page.getByTestId("result-verified").waitFor({ timeout: 60_000 });
    await page.getByTestId("result-inline").or(page.getByTestId("result-download")).first().waitFor();
    for (const [name, viewport] of Object.entries(VIEWPORTS)) {
      await page.setViewportSize(viewport);
      console.log(`      screenshot: ${await screenshot(`job-${name}`)}`);
    }
    assert.deepEqual(errors, []);
  });
});
