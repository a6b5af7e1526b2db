import assert from "node:assert/strict";
import { parseEther } from "viem";
import { cancelJob, deployments, JobCancelledError, JobExpiredError, type JobEvent, type SpecInput } from "../../sdk/src/index.js";
import { resultCid } from "../helpers/shoal.js";
import { registerDom, unregisterDom, waitFor } from "./dom.js";

const SPEC: SpecInput = {
  version: 1,
  engine: { type: "wasm", module: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", args: ["/inputs"] },
  outputs: { path: "/outputs" },
  resources: { cpu: 1, memoryMb: 128, timeoutSec: 30 },
  network: "none",
  deterministic: true,
};

describe("React hooks (wagmi, mock connector, local chain over HTTP)", function () {
  // React DOM, TanStack Query and wagmi load after the DOM exists, as in a browser.
  let r: typeof import("../../sdk/react/index.js") & typeof import("./dapp.js") & typeof import("wagmi/actions");
  before(async function () {
    registerDom();
    r = { ...(await import("../../sdk/react/index.js")), ...(await import("./dapp.js")), ...(await import("wagmi/actions")) };
  });
  after(unregisterDom);

  it("keys jobs by strings only: bigint-safe and one entry per job whatever the address case", function () {
    const market = deployments[31337]!.jobMarket;
    const key = r.getJobQueryKey({ chainId: 31337, market, jobId: 12345678901234567890n });
    assert.deepEqual(key, ["shoal", "job", { chainId: "31337", market: market.toLowerCase(), jobId: "12345678901234567890" }]);
    assert.doesNotThrow(() => JSON.stringify(key));
    assert.deepEqual(r.getJobQueryKey({ chainId: 31337, jobId: 12345678901234567890n }), key, "the market defaults to the deployment");
    assert.equal(r.getJobResultQueryKey({ chainId: 31337, market, jobId: 1n })[1], "jobResult");
  });

  it("submits from the connected wallet, follows the job live to Settled and resolves its result CID", async function () {
    const d = await r.dapp();
    try {
      const { accounts } = await r.connect(d.config, { connector: d.config.connectors[0]! });
      assert.deepEqual(accounts, [d.account]);
      assert.equal(r.getConnection(d.config).address, d.account);

      const submit = await d.render(() => r.useSubmitJob());
      const price = parseEther("0.1");
      const submitted = await submit.current.mutateAsync({ spec: SPEC, replicas: 3, quorum: 2, price, market: d.market });
      assert.equal(submitted.jobId, 1n);
      assert.equal(submitted.escrow, d.s.escrowOf({ replicas: 3, price }));
      await waitFor(() => assert.equal(submit.current.data?.jobId, 1n));
      assert.equal((await d.s.job(1n)).client, d.account);

      const events: JobEvent["type"][] = [];
      const statuses: string[] = [];
      const jobId = submitted.jobId;
      const job = await d.render(() => {
        const q = r.useJob({ jobId, market: d.market, pollingInterval: 50, onEvent: (e) => events.push(e.type) });
        if (q.data && statuses.at(-1) !== q.data.status) statuses.push(q.data.status);
        return q;
      });
      const result = await d.render(() => r.useJobResult({ jobId, market: d.market, pollingInterval: 50 }));
      await waitFor(() => assert.equal(job.current.data?.status, "Open"));
      assert.equal(job.current.data?.client, d.account);
      assert.equal(String(result.current.status), "pending");

      const cid = resultCid("word counts");
      await r.settle(d.s, jobId, cid, 2);
      await waitFor(() => assert.equal(job.current.data?.status, "Settled"));
      await waitFor(() => assert.equal(result.current.status, "success"));
      assert.equal(result.current.data?.resultCidBytes, cid);
      assert.equal(result.current.data?.resultCid, job.current.data?.resultCid);
      assert.match(result.current.data!.resultCid, /^bafkrei/);
      // Revealing (quorum of commits, reveals pending) shows only if a refetch lands between the txs.
      assert.deepEqual(statuses.filter((x) => x !== "Revealing"), ["Open", "Settled"]);
      // onEvent saw every step; the watcher stops by itself after the terminal event.
      await waitFor(() => assert.ok(events.includes("finalized")));
      for (const step of ["posted", "claimed", "committed", "quorum", "revealed"] as const) assert.ok(events.includes(step), step);

      // Terminal: once the last refetch is done, nothing watches or polls the job any more.
      await waitFor(() => assert.equal(job.current.isFetching, false));
      const settledAt = job.current.dataUpdatedAt;
      const seen = events.length;
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(job.current.dataUpdatedAt, settledAt);
      assert.equal(events.length, seen);
    } finally {
      await d.close();
    }
  });

  it("polls when not watching, and reports cancelled and expired jobs with the SDK's typed errors", async function () {
    const d = await r.dapp(1);
    try {
      await r.connect(d.config, { connector: d.config.connectors[0]! });
      const submit = await d.render(() => r.useSubmitJob());
      const base = { spec: SPEC, replicas: 1, quorum: 1, price: parseEther("0.1"), market: d.market } as const;

      const cancelled = await submit.current.mutateAsync(base);
      const polled = await d.render(() => r.useJob({ jobId: cancelled.jobId, market: d.market, watch: false, pollingInterval: 50 }));
      await waitFor(() => assert.equal(polled.current.data?.status, "Open"));
      await cancelJob(d.s.client, { jobId: cancelled.jobId, market: d.market });
      await waitFor(() => assert.equal(polled.current.data?.status, "Cancelled"));
      const cancelledResult = await d.render(() => r.useJobResult({ jobId: cancelled.jobId, market: d.market, pollingInterval: 50 }));
      await waitFor(() => assert.equal(cancelledResult.current.status, "error"));
      assert.ok(cancelledResult.current.error instanceof JobCancelledError);
      assert.equal(cancelledResult.current.error.jobId, cancelled.jobId);
      assert.equal(cancelledResult.current.failureCount, 1, "a final answer is not retried");

      const expiring = await submit.current.mutateAsync({ ...base, ttl: 700 });
      const expiringResult = await d.render(() => r.useJobResult({ jobId: expiring.jobId, market: d.market, pollingInterval: 50 }));
      await waitFor(() => assert.equal(expiringResult.current.fetchStatus, "fetching"));
      await d.s.networkHelpers.time.increase(800);
      await waitFor(() => assert.ok(expiringResult.current.error instanceof JobExpiredError));
    } finally {
      await d.close();
    }
  });
});
