import assert from "node:assert/strict";
import { Contract, type EventLog, getAddress, Interface, JsonRpcProvider, type Log, parseEther, ZeroAddress, ZeroHash } from "ethers";
import { encodeSpec, jobMarketAbi, providerRegistryAbi, type SpecInput } from "../../sdk/src/index.js";
import { setup } from "../helpers/shoal.js";
import { serveRpc } from "../helpers/net.js";

const SPEC: SpecInput = {
  version: 1,
  engine: { type: "wasm", module: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", args: ["/inputs"] },
  outputs: { path: "/outputs" },
  resources: { cpu: 1, memoryMb: 128, timeoutSec: 30 },
  network: "none",
  deterministic: true,
};

describe("The SDK's ABIs with ethers v6", function () {
  it("submits, claims and reads a job through an ethers Contract over JSON-RPC, and decodes its events and errors", async function () {
    const s = await setup({ providerCount: 1 });
    const rpc = await serveRpc(s.connection.provider);
    const provider = new JsonRpcProvider(rpc.url, 31337, { staticNetwork: true, pollingInterval: 50 });
    try {
      // The ABIs exactly as exported (viem's `as const` arrays): no conversion, no human-readable copy.
      const client = await provider.getSigner(s.client.account.address);
      const market = new Contract(s.market.address, jobMarketAbi, client);
      const registry = new Contract(s.registry.address, providerRegistryAbi, provider);

      const deadline = (await provider.getBlock("latest"))!.timestamp + 3600;
      const request = {
        spec: encodeSpec(SPEC),
        inputs: [],
        locality: false,
        replicas: 2,
        quorum: 1,
        token: ZeroAddress,
        price: parseEther("0.1"),
        collateral: await market.minCollateral(),
        deadline,
        commitWindow: 600,
        revealWindow: 600,
        callback: ZeroAddress,
        callbackGas: 0,
        allowlistRoot: ZeroHash,
        distinctMiners: false,
      };
      const feeBps: bigint = await market.feeBps();
      const work = 2n * request.price;
      const escrow = work + (work * feeBps) / 10_000n;

      const tx = await market.submit(request, { value: escrow });
      const receipt = await tx.wait();
      assert.equal(receipt.status, 1);
      assert.equal(await market.jobCount(), 1n);

      // JobPosted decoded with a bare Interface built from the same ABI.
      const iface = new Interface(jobMarketAbi);
      const posted = receipt.logs.map((log: Log) => iface.parseLog(log)).find((e: ReturnType<Interface["parseLog"]>) => e?.name === "JobPosted");
      assert.ok(posted);
      assert.equal(posted.args.jobId, 1n);
      assert.equal(posted.args.client, getAddress(s.client.account.address));
      assert.equal(posted.args.feeBps, feeBps);
      assert.equal(posted.args.request.replicas, 2n);
      assert.equal(posted.args.request.price, request.price);
      assert.equal(posted.args.request.spec, `0x${Buffer.from(request.spec).toString("hex")}`);
      // ...and through the contract's own filters.
      const [filtered] = (await market.queryFilter(market.filters.JobPosted(1n))) as EventLog[];
      assert.equal(filtered!.transactionHash, receipt.hash);

      const job = await market.getJob(1n);
      assert.equal(job.status, 1n); // Open
      assert.equal(job.client, getAddress(s.client.account.address));
      assert.equal(job.replicas, 2n);
      assert.equal(job.quorum, 1n);
      assert.equal(job.price, request.price);
      assert.equal(job.deadline, BigInt(deadline));

      // A provider claims with a struct-array call; the registry ABI reads its record.
      const sp = await provider.getSigner(s.providers[0].account.address);
      await (await market.connect(sp).getFunction("claim")(1n, 0n, [], [], [])).wait();
      assert.equal((await market.getJob(1n)).claimed, 1n);
      assert.equal(await registry.gatewayOf(s.providers[0].account.address), "http://127.0.0.1:7000");

      // Custom errors decode from the ABI too (ethers reports the revert data of the gas estimate).
      await assert.rejects(market.submit({ ...request, quorum: 3 }, { value: escrow }), (e: { code?: string; data?: string }) => {
        assert.equal(e.code, "CALL_EXCEPTION");
        const error = iface.parseError(e.data!);
        assert.equal(error?.name, "InvalidReplication");
        assert.deepEqual([...error!.args], [2n, 3n, 16n]);
        return true;
      });
    } finally {
      provider.destroy();
      await rpc.close();
    }
  });
});
