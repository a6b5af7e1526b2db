import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { ReadableStream } from "node:stream/web";

import { Registry } from "prom-client";

import { createGateway, type Gateway, type HealthReport } from "../../agent/src/gateway/index.js";
import { createResultStore, type ResultStore } from "../../agent/src/results/index.js";
import { computeResultCid, unpackResult } from "../../sdk/src/node.js";

let base: string;
let counter = 0;
const fresh = (label: string) => join(base, `${label}-${counter++}`);

async function outputDir(): Promise<string> {
  const dir = fresh("out");
  await mkdir(join(dir, "sub"), { recursive: true });
  await writeFile(join(dir, "answer.txt"), "42\n");
  await writeFile(join(dir, "sub", "blob.bin"), randomBytes(2_500_000)); // spans three 1 MiB chunks
  return dir;
}

describe("agent gateway", () => {
  let results: ResultStore;
  let registry: Registry;
  let gateway: Gateway;
  let health: HealthReport | Error;
  let stored: { cid: string; size: number; out: string };

  before(async () => {
    base = await mkdtemp(join(tmpdir(), "shoal-gateway-"));
    results = createResultStore({ dir: fresh("results"), retentionSeconds: 3600 });
    registry = new Registry();
    health = { ok: true };
    gateway = await createGateway({
      results,
      metrics: registry,
      health: () => {
        if (health instanceof Error) throw health;
        return health;
      },
      host: "127.0.0.1",
      port: 0,
    });
    const out = await outputDir();
    const { cid, size } = await results.put(out);
    stored = { cid, size, out };
  });
  after(async () => {
    await gateway.close();
    await rm(base, { recursive: true, force: true });
  });

  it("serves a stored result that the SDK's fetch path verifies and unpacks end to end", async () => {
    // What fetchResult does: GET <gateway>/ipfs/<cid>?format=car, then unpackResult with the CID settled on chain.
    const response = await fetch(`${gateway.url}/ipfs/${stored.cid}?format=car`, {
      headers: { accept: "application/vnd.ipld.car" },
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^application\/vnd\.ipld\.car\b/);
    assert.equal(Number(response.headers.get("content-length")), stored.size);
    const dest = fresh("fetched");
    const body = Readable.fromWeb(response.body as ReadableStream<Uint8Array>);
    const unpacked = await unpackResult(body, dest, { expectedCid: stored.cid });
    assert.equal(unpacked.cid.toString(), stored.cid);
    assert.equal((await computeResultCid(dest)).toString(), stored.cid);
    assert.deepEqual(await readFile(join(dest, "sub", "blob.bin")), await readFile(join(stored.out, "sub", "blob.bin")));
  });

  it("serves the CAR on Accept: application/vnd.ipld.car alone, and answers HEAD without a body", async () => {
    const byAccept = await fetch(`${gateway.url}/ipfs/${stored.cid}`, { headers: { accept: "application/vnd.ipld.car;version=1" } });
    assert.equal(byAccept.status, 200);
    assert.equal((await byAccept.arrayBuffer()).byteLength, stored.size);

    const head = await fetch(`${gateway.url}/ipfs/${stored.cid}?format=car`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers.get("content-length")), stored.size);
    assert.equal((await head.arrayBuffer()).byteLength, 0);
  });

  it("serves one byte range of the CAR: 206 with Content-Range, 416 past the end, the whole CAR otherwise", async () => {
    const whole = Buffer.from(await (await fetch(`${gateway.url}/ipfs/${stored.cid}?format=car`)).arrayBuffer());
    const get = (range: string, extra: Record<string, string> = {}, method = "GET") =>
      fetch(`${gateway.url}/ipfs/${stored.cid}?format=car`, { method, headers: { range, ...extra } });
    const size = stored.size;
    const cases: [string, number, number][] = [
      [`bytes=100-`, 100, size - 1],
      [`bytes=0-99`, 0, 99],
      [`bytes=${size - 10}-${size + 500}`, size - 10, size - 1], // clamped to the end
      [`bytes=-50`, size - 50, size - 1],
      [`bytes=-${size + 1}`, 0, size - 1],
    ];
    for (const [range, start, end] of cases) {
      const response = await get(range);
      assert.equal(response.status, 206, range);
      assert.equal(response.headers.get("content-range"), `bytes ${start}-${end}/${size}`, range);
      assert.equal(response.headers.get("accept-ranges"), "bytes");
      const body = Buffer.from(await response.arrayBuffer());
      assert.equal(Number(response.headers.get("content-length")), end - start + 1);
      assert.ok(body.equals(whole.subarray(start, end + 1)), range);
    }
    for (const range of [`bytes=${size}-`, `bytes=${size + 100}-200000000`, "bytes=-0"]) {
      const response = await get(range);
      assert.equal(response.status, 416, range);
      assert.equal(response.headers.get("content-range"), `bytes */${size}`);
      assert.equal((await response.arrayBuffer()).byteLength, 0);
    }
    // Malformed, reversed and multiple ranges are ignored (RFC 9110): the whole CAR.
    for (const range of ["bytes=abc", "bytes=9-3", "bytes=0-1,5-9", "items=0-5", "bytes=-"]) {
      const response = await get(range);
      assert.equal(response.status, 200, range);
      assert.equal((await response.arrayBuffer()).byteLength, size);
    }
    // If-Range: a range of the same representation only.
    assert.equal((await get("bytes=10-", { "if-range": `"${stored.cid}.car"` })).status, 206);
    const stale = await get("bytes=10-", { "if-range": '"something-else"' });
    assert.equal(stale.status, 200);
    assert.equal((await stale.arrayBuffer()).byteLength, size);
    const head = await get("bytes=10-19", {}, "HEAD");
    assert.equal(head.status, 206);
    assert.equal(head.headers.get("content-length"), "10");
  });

  it("answers 404 for a CID it does not store, 400 for a malformed CID or a path, 406 when a CAR is not accepted", async () => {
    const unknown = (await computeResultCid(await outputDir())).toString();
    const status = async (path: string, init?: RequestInit) => {
      const response = await fetch(`${gateway.url}${path}`, init);
      await response.arrayBuffer();
      return response.status;
    };
    assert.equal(await status(`/ipfs/${unknown}?format=car`), 404);
    assert.equal(await status(`/ipfs/not-a-cid?format=car`), 400);
    assert.equal(await status(`/ipfs/${stored.cid}/sub/blob.bin?format=car`), 400);
    assert.equal(await status(`/ipfs/${stored.cid}`), 406);
    assert.equal(await status(`/ipfs/${stored.cid}`, { headers: { accept: "text/html,*/*" } }), 406);
    assert.equal(await status(`/ipfs/${stored.cid}?format=raw`), 406);
    assert.equal(await status(`/ipfs/${stored.cid}`, { headers: { accept: "application/vnd.ipld.car; version=2" } }), 406);
    assert.equal(await status(`/ipfs/${stored.cid}?format=car`, { method: "POST" }), 405);
    assert.equal(await status(`/nothing-here`), 404);
  });

  it("lets browsers on any origin read results (CORS), GET and HEAD only", async () => {
    const origin = "http://dapp.example";
    const get = await fetch(`${gateway.url}/ipfs/${stored.cid}?format=car`, { headers: { origin, range: "bytes=10-" } });
    assert.equal(get.status, 206);
    assert.equal(get.headers.get("access-control-allow-origin"), "*");
    const exposed = (get.headers.get("access-control-expose-headers") ?? "").toLowerCase().split(/,\s*/);
    for (const header of ["content-range", "content-length", "accept-ranges", "etag"]) assert.ok(exposed.includes(header), header);
    await get.arrayBuffer();
    // Errors are readable too, so a dapp can tell "not stored here" from a network failure.
    const missing = await fetch(`${gateway.url}/ipfs/${stored.cid}`, { headers: { origin } });
    assert.equal(missing.status, 406);
    assert.equal(missing.headers.get("access-control-allow-origin"), "*");
    await missing.arrayBuffer();

    const preflight = await fetch(`${gateway.url}/ipfs/${stored.cid}?format=car`, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "GET", "access-control-request-headers": "range" },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
    assert.equal(preflight.headers.get("access-control-allow-methods"), "GET, HEAD");
    assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /\bRange\b/);
    await preflight.arrayBuffer();

    for (const method of ["POST", "PUT", "DELETE"]) {
      const refused = await fetch(`${gateway.url}/ipfs/${stored.cid}?format=car`, { method, headers: { origin } });
      assert.equal(refused.status, 405, method);
      assert.equal(refused.headers.get("allow"), "GET, HEAD, OPTIONS");
      await refused.arrayBuffer();
    }
  });

  it("reports health at /healthz: 200 when ok, 503 when not or when the check throws", async () => {
    health = { ok: true, details: { jobsInFlight: 2 } };
    const ok = await fetch(`${gateway.url}/healthz`);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { status: "ok", details: { jobsInFlight: 2 } });

    health = { ok: false, details: { rpc: "unreachable" } };
    const down = await fetch(`${gateway.url}/healthz`);
    assert.equal(down.status, 503);
    assert.equal(((await down.json()) as { status: string }).status, "unavailable");

    health = new Error("db locked");
    const thrown = await fetch(`${gateway.url}/healthz`);
    assert.equal(thrown.status, 503);
    assert.deepEqual(await thrown.json(), { status: "unavailable", details: { error: "db locked" } });
    health = { ok: true };
  });

  it("exposes Prometheus metrics, counting requests by route and status", async () => {
    await (await fetch(`${gateway.url}/ipfs/not-a-cid?format=car`)).arrayBuffer();
    const response = await fetch(`${gateway.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
    const text = await response.text();
    assert.match(text, /# TYPE shoal_gateway_requests_total counter/);
    assert.match(text, /shoal_gateway_requests_total\{route="ipfs",status="200"\} [1-9]/);
    assert.match(text, /shoal_gateway_requests_total\{route="ipfs",status="400"\} [1-9]/);
    assert.match(text, /shoal_gateway_requests_total\{route="healthz",status="503"\} [1-9]/);
  });

  it("shares one registry between gateways, and stops listening on close", async () => {
    const second = await createGateway({ results, metrics: registry, health: () => ({ ok: true }) });
    assert.equal((await fetch(`${second.url}/healthz`)).status, 200);
    await second.close();
    await assert.rejects(fetch(`${second.url}/healthz`));
  });
});
