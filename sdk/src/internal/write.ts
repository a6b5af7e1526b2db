import type { Abi, Account, Address, Client, ContractFunctionArgs, ContractFunctionName, TransactionReceipt } from "viem";
import { simulateContract, waitForTransactionReceipt, writeContract } from "viem/actions";
import { toMarketError } from "./contracts.js";

/**
 * Simulates, sends and waits for one contract call; a revert becomes a MarketCallError naming
 * the contract's custom error and what to do. Gas is estimated by the node (FEVM gas units
 * differ from Ethereum's: never hard-coded); `gas` overrides it when a callback must be honoured.
 */
export async function writeAndWait<
  const abi extends Abi,
  functionName extends ContractFunctionName<abi, "nonpayable" | "payable">,
>(
  client: Client,
  call: {
    address: Address;
    abi: abi;
    functionName: functionName;
    args: ContractFunctionArgs<abi, "nonpayable" | "payable", functionName>;
    value?: bigint | undefined;
    gas?: bigint | undefined;
    account?: Account | Address | undefined;
  },
): Promise<TransactionReceipt> {
  try {
    const { request } = await simulateContract(client, {
      ...(call as object),
      account: (call.account ?? client.account) as Account,
      chain: client.chain,
    } as never);
    const hash = await writeContract(client, { ...(request as object), gas: call.gas } as never);
    const receipt = await waitForTransactionReceipt(client, { hash });
    if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
    return receipt;
  } catch (error) {
    throw toMarketError(error);
  }
}
