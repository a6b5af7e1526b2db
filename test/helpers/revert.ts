// Asserting on custom-error reverts with viem (no chai matchers here).
import assert from "node:assert/strict";
import { BaseError, ContractFunctionRevertedError, getAddress, isAddress } from "viem";

/** Checksums addresses (viem decodes them checksummed; wallet accounts may be lower case). */
function normalize(value: unknown): unknown {
  if (typeof value === "string" && value.length === 42 && isAddress(value, { strict: false })) return getAddress(value);
  if (Array.isArray(value)) return value.map(normalize);
  return value;
}

/**
 * Awaits `call` and asserts that it reverted with custom error `errorName` (and `args`, if given).
 * The error must be in the ABI of the contract called (Solidity adds the errors its code can raise,
 * library errors included). Deployments revert through the node's message, where only the name is checked.
 */
export async function expectRevert(call: Promise<unknown>, errorName: string, args?: readonly unknown[]): Promise<void> {
  let error: unknown;
  try {
    await call;
  } catch (e) {
    error = e;
  }
  if (error === undefined) assert.fail(`expected a revert with ${errorName}, but the call succeeded`);
  if (!(error instanceof BaseError)) throw error;
  const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (revert instanceof ContractFunctionRevertedError && revert.data !== undefined) {
    assert.equal(revert.data.errorName, errorName, `reverted with ${revert.data.errorName}`);
    if (args !== undefined) assert.deepEqual(normalize(revert.data.args), normalize(args));
    return;
  }
  if (!error.message.includes(`custom error '${errorName}(`)) throw error;
}
