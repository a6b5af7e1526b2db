import assert from "node:assert/strict";
import { InvalidSpecError, MarketCallError } from "@shoal/sdk";
import {
  ChainMismatchError,
  ContractFunctionExecutionError,
  ContractFunctionRevertedError,
  HttpRequestError,
  InsufficientFundsError,
  toFunctionSelector,
  TransactionExecutionError,
  UserRejectedRequestError,
} from "viem";
import { filecoinCalibration, hardhat } from "viem/chains";
import { explainError } from "../../app/src/lib/errors.js";

// The dapp shows every error as one sentence saying what to do; these are the ones users meet.

const oneSentence = (s: string) => assert.match(s, /^[A-Z][^\n]*[.!?]$/, s);

describe("dapp: explainError", function () {
  it("says the wallet rejected the request, however deep the rejection is", function () {
    const rejected = new UserRejectedRequestError(new Error("User rejected the request."));
    const wrapped = new TransactionExecutionError(rejected, { account: undefined, chain: hardhat } as never);
    for (const e of [rejected, wrapped, { code: 4001, message: "denied" }]) assert.equal(explainError(e), "You rejected the request in your wallet; nothing was sent.");
  });

  it("names the wrong chain, the missing funds and the RPC outage", function () {
    assert.match(explainError(new ChainMismatchError({ chain: filecoinCalibration, currentChainId: 1 })), /another chain; switch/);
    assert.match(explainError(new InsufficientFundsError()), /enough FIL/);
    assert.match(explainError(new HttpRequestError({ url: "http://127.0.0.1:1", details: "fetch failed" })), /RPC endpoint does not answer/);
    assert.match(explainError(new TypeError("Failed to fetch")), /RPC endpoint does not answer/);
  });

  it("names a contract's custom error, with the SDK's hint or the dapp's sentence", function () {
    const market = new MarketCallError({ reason: "InvalidReplication", args: [], hint: "quorum must be 1..replicas", cause: undefined });
    assert.match(explainError(market), /^Quorum must be between 1 and the number of replicas/);
    const unknown = new MarketCallError({ reason: "SomethingNew", args: [], hint: "do the other thing", cause: undefined });
    assert.equal(explainError(unknown), "SomethingNew: do the other thing.");
    const revert = new ContractFunctionRevertedError({ abi: [{ type: "error", name: "MarketPaused", inputs: [] }], functionName: "submit", data: toFunctionSelector("MarketPaused()") });
    const call = new ContractFunctionExecutionError(revert, { abi: [], functionName: "submit" } as never);
    assert.equal(revert.data?.errorName, "MarketPaused");
    assert.equal(explainError(call), "The market is paused by its owner; try again later.");
  });

  it("lists a spec's broken rules in one sentence", function () {
    const e = new InvalidSpecError({ issues: [{ path: "engine.image", rule: "must be pinned by digest" }, { path: "resources.cpu", rule: "must be at least 1" }] });
    assert.equal(explainError(e), "The job spec is invalid: engine.image must be pinned by digest; resources.cpu must be at least 1.");
  });

  it("gives one sentence for anything else", function () {
    for (const e of [new Error("boom\nstack"), "plain text", undefined, 42, { weird: true }]) oneSentence(explainError(e));
  });
});
