// Every deployable contract must fit the EIP-170 code size limit (24,576 bytes of runtime code)
// and the EIP-3860 initcode limit (49,152 bytes); Filecoin's FEVM enforces the same limits.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../artifacts/contracts", import.meta.url));
const MAX_CODE = 24_576;
const MAX_INITCODE = 49_152;

type Artifact = { _format?: string; contractName: string; sourceName: string; bytecode: string; deployedBytecode: string };

function artifacts(dir: string): Artifact[] {
  const found: Artifact[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...artifacts(path));
    else if (name.endsWith(".json") && !name.endsWith(".dbg.json")) {
      const a = JSON.parse(readFileSync(path, "utf8"));
      if (typeof a.deployedBytecode === "string" && typeof a.sourceName === "string") found.push(a);
    }
  }
  return found;
}

const bytes = (hex: string) => (hex.length - 2) / 2; // link placeholders are 40 hex chars, like an address

describe("Contract sizes", function () {
  it("keeps every non-test contract under the EIP-170 and EIP-3860 limits", function () {
    const all = artifacts(ROOT).filter((a) => a.sourceName.startsWith("contracts/") && !a.sourceName.startsWith("contracts/test/"));
    const deployable = all.filter((a) => bytes(a.deployedBytecode) > 0).sort((a, b) => bytes(b.deployedBytecode) - bytes(a.deployedBytecode));
    const names = deployable.map((a) => a.contractName);
    for (const required of ["JobMarket", "ProviderRegistry"]) assert.ok(names.includes(required), `no artifact for ${required}; build first`);
    for (const a of deployable) {
      const code = bytes(a.deployedBytecode);
      const init = bytes(a.bytecode);
      console.log(`      ${a.contractName.padEnd(20)} ${String(code).padStart(6)} bytes (${((100 * code) / MAX_CODE).toFixed(1)}% of ${MAX_CODE}), initcode ${init}  ${a.sourceName}`);
    }
    const over = deployable.filter((a) => bytes(a.deployedBytecode) > MAX_CODE || bytes(a.bytecode) > MAX_INITCODE);
    assert.deepEqual(
      over.map((a) => `${a.contractName}: ${bytes(a.deployedBytecode)} bytes code, ${bytes(a.bytecode)} bytes initcode`),
      [],
      "contracts over the size limits",
    );
  });
});
