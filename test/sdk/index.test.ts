import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { registerDom, unregisterDom } from "../react/dom.js";

// The public API of the @shoal/sdk package, locked (viem's src/index.test.ts): adding, renaming or
// removing an export of any entry point fails here, so every change to these lists is deliberate,
// shows in review and goes in sdk/CHANGELOG.md (semver: a removal is a breaking change). It loads
// the entries by package name, so it checks the built files the package ships (sdk/dist).

const names = async (specifier: string): Promise<string[]> => Object.keys(await import(specifier)).sort();

describe("SDK public API", function () {
  it("the package's exports map lists exactly these entry points", async function () {
    const pkg = JSON.parse(await readFile(new URL("../../sdk/package.json", import.meta.url), "utf8"));
    assert.deepEqual(Object.keys(pkg.exports), [".", "./abi", "./spec", "./react", "./node", "./ml", "./package.json"]);
    assert.equal(pkg.sideEffects, false);
  });

  it("@shoal/sdk exports exactly these names", async function () {
    assert.deepEqual(await names("@shoal/sdk"), [
      "BlockVerificationError",
      "DestinationNotEmptyError",
      "FIL_COMMITMENT_UNSEALED",
      "FR32_SHA256_TRUNC254_PADBINTREE",
      "InsufficientEscrowError",
      "InvalidCarError",
      "InvalidEntryNameError",
      "InvalidFr32LengthError",
      "InvalidPieceCidError",
      "InvalidPieceSizeError",
      "InvalidPipelineError",
      "InvalidResultCidError",
      "InvalidSpecError",
      "InvalidSpecTemplateError",
      "JOB_STATUS",
      "JobCancelledError",
      "JobExpiredError",
      "JobNotFoundError",
      "MAX_INPUTS",
      "MAX_LOG_RANGE",
      "MAX_OUTPUT_BYTES",
      "MAX_PIECE_HEIGHT",
      "MAX_SPEC_SIZE",
      "MAX_WASM_MEMORY_MB",
      "MIN_PIECE_HEIGHT",
      "MIN_PIECE_PAYLOAD_SIZE",
      "MarketCallError",
      "MemoryBlockstore",
      "MissingBlockError",
      "NoQuorumError",
      "PayloadTooSmallError",
      "PipelineStepFailedError",
      "PipelineSubmitError",
      "RESULT_CHUNK_SIZE",
      "RESULT_CID_CODECS",
      "RESULT_MAX_CHILDREN",
      "RESULT_SHARD_THRESHOLD",
      "RUN_PHASES",
      "ResultDownloadInterruptedError",
      "ResultFetchError",
      "ResultNotAvailableError",
      "ResultRootMismatchError",
      "ResultTooLargeError",
      "SHA2_256_TRUNC254_PADDED",
      "SOCKET_REST_MS",
      "SOCKET_TIMEOUT_MS",
      "SPEC_DEFAULTS",
      "SPEC_VERSION",
      "ShoalError",
      "ShoalNotDeployedError",
      "SpecTooLargeError",
      "UnexpectedBlockError",
      "UnsupportedEntryError",
      "WaitForResultTimeoutError",
      "addStake",
      "advanceFederatedRun",
      "bindMiner",
      "buildSpec",
      "cancelJob",
      "claimSlot",
      "commitResult",
      "computeCommitment",
      "createPieceHasher",
      "decodeSpec",
      "deployments",
      "encodeSpec",
      "expireJob",
      "federatedAveragingAbi",
      "fetchResultFiles",
      "fillTemplate",
      "finalizeJob",
      "getFederatedRun",
      "getJob",
      "getLogsChunked",
      "getOwedJobs",
      "getResultFiles",
      "hashSpec",
      "isPaddedSize",
      "jobMarketAbi",
      "parsePieceCid",
      "pieceCid",
      "providerRegistryAbi",
      "registerProvider",
      "resultCidBytes",
      "resultCidFromBytes",
      "revealResult",
      "shoalConsumerAbi",
      "sinks",
      "socketFirst",
      "specSchema",
      "specTemplate",
      "startFederatedRun",
      "submitJob",
      "submitPipeline",
      "templateHole",
      "toCanonicalJson",
      "toJobInputs",
      "toPieceRef",
      "topologicalOrder",
      "unbondStake",
      "updateProvider",
      "verifyBlock",
      "waitForPipeline",
      "waitForResult",
      "watchJob",
      "withdraw",
      "withdrawStake",
    ]);
  });

  it("@shoal/sdk/node exports exactly these names", async function () {
    assert.deepEqual(await names("@shoal/sdk/node"), [
      "KeystoreError",
      "PieceFileChangedError",
      "PieceFileUnreadableError",
      "PieceHashAbortedError",
      "computeResultCid",
      "decryptKeystore",
      "fetchResult",
      "gridPoints",
      "loadMnist",
      "packResult",
      "pieceCidOfFile",
      "pieceCidOfStream",
      "runSweep",
      "unpackResult",
    ]);
  });

  it("@shoal/sdk/ml exports exactly these names", async function () {
    assert.deepEqual(await names("@shoal/sdk/ml"), [
      "DatasetUnavailableError",
      "InvalidModelError",
      "InvalidShardError",
      "InvalidSplitError",
      "KERNEL_MODULES",
      "MAX_CLASSES",
      "MAX_FEATURES",
      "MAX_HIDDEN",
      "ML_FORMAT_VERSION",
      "MODEL_HEADER_BYTES",
      "MODEL_MAGIC",
      "SHARD_HEADER_BYTES",
      "SHARD_MAGIC",
      "aggregateSpec",
      "decodeModel",
      "decodeShard",
      "encodeModel",
      "encodeShard",
      "evaluateSpec",
      "federatedKernelSpecs",
      "formatDecimal",
      "inferSpec",
      "modelParamCount",
      "rawCid",
      "splitDataset",
      "trainSpec",
    ]);
  });

  it("@shoal/sdk/abi exports exactly these names", async function () {
    assert.deepEqual(await names("@shoal/sdk/abi"), ["federatedAveragingAbi", "jobMarketAbi", "providerRegistryAbi", "shoalConsumerAbi"]);
  });

  it("@shoal/sdk/spec exports exactly these names", async function () {
    assert.deepEqual(await names("@shoal/sdk/spec"), [
      "MAX_INPUTS",
      "MAX_OUTPUT_BYTES",
      "MAX_SPEC_SIZE",
      "MAX_WASM_MEMORY_MB",
      "SPEC_DEFAULTS",
      "SPEC_VERSION",
      "buildSpec",
      "decodeSpec",
      "encodeSpec",
      "hashSpec",
      "specSchema",
      "toCanonicalJson",
    ]);
  });

  it("the sources and the build agree (run npm run build:packages after editing sdk/)", async function () {
    assert.deepEqual(await names("../../sdk/src/index.js"), await names("@shoal/sdk"));
    assert.deepEqual(await names("../../sdk/src/node.js"), await names("@shoal/sdk/node"));
    assert.deepEqual(await names("../../sdk/src/ml/index.js"), await names("@shoal/sdk/ml"));
  });

  describe("@shoal/sdk/react", function () {
    // React libraries decide at load time whether they run in a browser: load them as the hook tests do.
    before(registerDom);
    after(unregisterDom);

    it("exports exactly these names", async function () {
      assert.deepEqual(await names("@shoal/sdk/react"), [
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
