import assert from "node:assert/strict";
import { registerDom, unregisterDom } from "../react/dom.js";

// The public API, locked (viem's src/index.test.ts): adding, renaming or removing an export fails
// here, so every change to these lists is deliberate and shows in review.

describe("SDK public API", function () {
  it("sdk/src/index.ts exports exactly these names", async function () {
    const names = Object.keys(await import("../../sdk/src/index.js")).sort();
    assert.deepEqual(names, [
      "BlockVerificationError",
      "DestinationNotEmptyError",
      "FIL_COMMITMENT_UNSEALED",
      "FR32_SHA256_TRUNC254_PADBINTREE",
      "InsufficientEscrowError",
      "InvalidCarError",
      "InvalidEntryNameError",
      "InvalidPieceCidError",
      "InvalidPieceSizeError",
      "InvalidResultCidError",
      "InvalidSpecError",
      "JOB_STATUS",
      "JobCancelledError",
      "JobExpiredError",
      "JobNotFoundError",
      "MAX_INPUTS",
      "MAX_OUTPUT_BYTES",
      "MAX_PIECE_HEIGHT",
      "MAX_SPEC_SIZE",
      "MAX_WASM_MEMORY_MB",
      "MIN_PIECE_HEIGHT",
      "MIN_PIECE_PAYLOAD_SIZE",
      "MarketCallError",
      "MissingBlockError",
      "NoQuorumError",
      "PayloadTooSmallError",
      "RESULT_CHUNK_SIZE",
      "RESULT_CID_CODECS",
      "RESULT_MAX_CHILDREN",
      "RESULT_SHARD_THRESHOLD",
      "ResultFetchError",
      "ResultNotAvailableError",
      "ResultRootMismatchError",
      "ResultTooLargeError",
      "SHA2_256_TRUNC254_PADDED",
      "SPEC_DEFAULTS",
      "SPEC_VERSION",
      "ShoalError",
      "ShoalNotDeployedError",
      "SpecTooLargeError",
      "UnsupportedEntryError",
      "WaitForResultTimeoutError",
      "addStake",
      "bindMiner",
      "buildSpec",
      "cancelJob",
      "claimSlot",
      "commitResult",
      "computeCommitment",
      "computeResultCid",
      "decodeSpec",
      "deployments",
      "encodeSpec",
      "expireJob",
      "fetchResult",
      "finalizeJob",
      "getJob",
      "getOwedJobs",
      "hashSpec",
      "isPaddedSize",
      "jobMarketAbi",
      "packResult",
      "parsePieceCid",
      "pieceCid",
      "providerRegistryAbi",
      "registerProvider",
      "resultCidBytes",
      "resultCidFromBytes",
      "revealResult",
      "shoalConsumerAbi",
      "specSchema",
      "submitJob",
      "toCanonicalJson",
      "toJobInputs",
      "toPieceRef",
      "unpackResult",
      "waitForResult",
      "watchJob",
      "withdraw",
    ]);
  });

  describe("sdk/react", function () {
    // React libraries decide at load time whether they run in a browser: load them as the hook tests do.
    before(registerDom);
    after(unregisterDom);

    it("sdk/react/index.ts exports exactly these names", async function () {
      const names = Object.keys(await import("../../sdk/react/index.js")).sort();
      assert.deepEqual(names, [
        "getJobQueryKey",
        "getJobQueryOptions",
        "getJobResultQueryKey",
        "getJobResultQueryOptions",
        "submitJobMutationOptions",
        "useJob",
        "useJobResult",
        "useSubmitJob",
      ]);
    });
  });
});
