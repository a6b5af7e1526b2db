import { encodeAbiParameters, keccak256, type Address, type Hex } from "viem";

/** What a provider sends in `commit` and what the market checks at `reveal`. */
export type Commitment = {
  /** keccak256 of the result CID bytes. */
  digest: Hex;
  /** keccak256(abi.encode(jobId, digest)): equal for equal results, so it groups them. */
  hash: Hex;
  /** keccak256(abi.encode(provider, jobId, digest)): binds the result to its provider. */
  seal: Hex;
};

/**
 * Computes the commit-reveal values for `resultCid` (binary CIDv1, sha2-256) of job `jobId`,
 * as the JobMarket contract checks them.
 *
 * @example
 * const { hash, seal } = computeCommitment({ jobId: 1n, provider, resultCid: "0x0155..." });
 */
export function computeCommitment(args: { jobId: bigint; provider: Address; resultCid: Hex }): Commitment {
  const digest = keccak256(args.resultCid);
  const hash = keccak256(encodeAbiParameters([{ type: "uint256" }, { type: "bytes32" }], [args.jobId, digest]));
  const seal = keccak256(
    encodeAbiParameters(
      [{ type: "address" }, { type: "uint256" }, { type: "bytes32" }],
      [args.provider, args.jobId, digest],
    ),
  );
  return { digest, hash, seal };
}
