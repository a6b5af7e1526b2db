import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { CID } from "multiformats/cid";
import { Registry } from "prom-client";

import { createGateway, type Gateway } from "../../agent/src/gateway/index.js";
import { createResultStore } from "../../agent/src/results/index.js";
import { BlockVerificationError, ResultDownloadInterruptedError } from "../../sdk/src/errors/index.js";
import { downloadResultCar, type ResultProgress } from "../../sdk/src/result/downloadResultCar.js";
import { computeResultCid, unpackResult } from "../../sdk/src/node.js";
import { type GatewayFaultProxy, startGatewayFaultProxy } from "../helpers/gatewayFaultProxy.js";

const MiB = 1 << 20;

describe("downloading a large result: streamed, verified block by block, resumed", function () {
  this.timeout(120_000);
  let base: string;
  let counter = 0;
  const fresh = (label: string) => join(base, `${label}-${counter++}`);
  let gateway: Gateway;
  let proxy: GatewayFaultProxy;
  let cid: CID;
  let car: Buffer;
  let out: string;
  let url: string;

  before(async () => {
    base = await mkdtemp(join(tmpdir(), "shoal-download-"));
    out = fresh("out");
    await mkdir(join(out, "logs"), { recursive: true });
    await writeFile(join(out, "model.bin"), randomBytes(24 * MiB + 4321)); // 25 leaves
    await writeFile(join(out, "logs", "run.txt"), "done\n");
    const results = createResultStore({ dir: fresh("results"), retentionSeconds: 3600 });
    const stored = await results.put(out);
    cid = CID.parse(stored.cid);
    car = await readFile(stored.carPath);
    gateway = await createGateway({ results, metrics: new Registry(), health: () => ({ ok: true }) });
    proxy = await startGatewayFaultProxy(gateway.url);
    url = `${proxy.url}/ipfs/${cid}?format=car`;
  });
  beforeEach(() => {
    proxy.plan = () => undefined;
    proxy.ranges.length = 0;
  });
  after(async () => {
    await proxy.close();
    await gateway.close();
    await rm(base, { recursive: true, force: true });
  });

  const unpacksToTheResult = async (partPath: string) => {
    assert.ok((await readFile(partPath)).equals(car), "the downloaded CAR is not the stored one");
    const dest = fresh("unpacked");
    await unpackResult(partPath, dest, { expectedCid: cid });
    assert.equal((await computeResultCid(dest)).toString(), cid.toString());
  };

  it("resumes with Range: bytes=<verified>- after the connection drops mid-body, reporting progress", async () => {
    proxy.plan = (index) => (index === 0 ? { kind: "drop", afterBytes: 9 * MiB + 777 } : undefined);
    const partPath = fresh("car");
    const progress: ResultProgress[] = [];
    const { size } = await downloadResultCar({ url, expectedCid: cid, partPath, onProgress: (p) => progress.push(p) });
    assert.equal(size, car.length);
    assert.equal(proxy.ranges.length, 2);
    assert.equal(proxy.ranges[0], undefined);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(proxy.ranges[1] ?? "")?.[1]);
    // Only whole verified blocks were kept: the incomplete 1 MiB leaf at the drop is fetched again.
    assert.ok(resumedAt > 8 * MiB && resumedAt <= 9 * MiB + 777, `resumed at ${resumedAt}`);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i].bytes >= progress[i - 1].bytes || progress[i].bytes === resumedAt);
    assert.deepEqual(progress.at(-1), { bytes: car.length, total: car.length });
    await unpacksToTheResult(partPath);
  });

  it("keeps the verified part when it gives up, and a later run resumes it", async () => {
    proxy.plan = () => ({ kind: "drop", afterBytes: 5 * MiB });
    const partPath = fresh("car");
    await assert.rejects(downloadResultCar({ url, expectedCid: cid, partPath, retries: 1 }), (error: unknown) => {
      assert.ok(error instanceof ResultDownloadInterruptedError);
      assert.ok(error.received > 0);
      return true;
    });
    const kept = (await stat(partPath)).size;
    assert.ok(kept > 4 * MiB, `kept ${kept}`);
    assert.ok((await readFile(partPath)).equals(car.subarray(0, kept)), "the part is not a prefix of the CAR");

    proxy.plan = () => undefined;
    proxy.ranges.length = 0;
    const { resumedFrom } = await downloadResultCar({ url, expectedCid: cid, partPath });
    assert.equal(proxy.ranges[0], `bytes=${resumedFrom}-`);
    assert.ok(resumedFrom >= kept - MiB);
    await unpacksToTheResult(partPath);
  });

  it("starts over cleanly when the server ignores Range (200) or cannot satisfy it (416)", async () => {
    for (const fault of [{ kind: "ignoreRange" }, { kind: "status", status: 416 }] as const) {
      const partPath = fresh("car");
      await writeFile(partPath, car.subarray(0, 3 * MiB)); // an earlier run's part
      proxy.ranges.length = 0;
      proxy.plan = (index) => (index === 0 ? fault : undefined);
      await downloadResultCar({ url, expectedCid: cid, partPath });
      assert.match(proxy.ranges[0] ?? "", /^bytes=\d+-$/);
      if (fault.kind === "status") assert.equal(proxy.ranges[1], undefined); // the restart asks for everything
      await unpacksToTheResult(partPath);
    }
  });

  it("refuses a corrupt block mid-stream and never writes it; another server finishes the download", async () => {
    const corruptAt = 12 * MiB + 5;
    proxy.plan = () => ({ kind: "corrupt", atOffset: corruptAt });
    const partPath = fresh("car");
    await assert.rejects(downloadResultCar({ url, expectedCid: cid, partPath }), BlockVerificationError);
    const kept = await readFile(partPath);
    assert.ok(kept.length <= corruptAt && kept.length > corruptAt - 2 * MiB, `kept ${kept.length}`);
    assert.ok(kept.equals(car.subarray(0, kept.length)), "unverified bytes reached the disk");

    const honest = `${gateway.url}/ipfs/${cid}?format=car`; // same CAR bytes from any provider
    const { resumedFrom } = await downloadResultCar({ url: honest, expectedCid: cid, partPath });
    assert.equal(resumedFrom, kept.length);
    await unpacksToTheResult(partPath);
  });

  it("re-verifies a part found on disk and does not trust a tampered one", async () => {
    const partPath = fresh("car");
    const tampered = Buffer.from(car.subarray(0, 6 * MiB));
    tampered[2 * MiB] ^= 0x01;
    await writeFile(partPath, tampered);
    const { resumedFrom } = await downloadResultCar({ url, expectedCid: cid, partPath });
    // The blocks before the flipped byte verify again and are kept; the rest is fetched.
    assert.ok(resumedFrom > MiB && resumedFrom <= 2 * MiB, `resumed from ${resumedFrom}`);
    assert.equal(proxy.ranges[0], `bytes=${resumedFrom}-`);
    await unpacksToTheResult(partPath);
  });
});
