import { createRequire } from "node:module";
import { defineConfig } from "hardhat/config";
import hardhatMocha from "@nomicfoundation/hardhat-mocha";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";

const require = createRequire(import.meta.url);

export default defineConfig({
  plugins: [hardhatMocha, hardhatViem, hardhatNetworkHelpers],
  solidity: {
    // solc from npm (WASM build): compiles offline. `version` must equal the installed package.
    version: "0.8.30",
    path: require.resolve("solc/soljson.js"),
    settings: {
      optimizer: { enabled: true, runs: 1_000 },
      viaIR: true,
      evmVersion: "cancun",
    },
  },
  paths: { tests: { mocha: "test" } },
  test: { mocha: { timeout: 120_000 } },
  networks: {
    default: { type: "edr-simulated", chainType: "l1", hardfork: "cancun" },
  },
});
