import { zeroAddress } from "viem";
import { withdraw } from "../../src/index.js";
import { unitOf } from "../amounts.js";
import { connect, type GlobalOptions, parseAddress } from "../context.js";
import { out, outJson } from "../io.js";
import { amount } from "../output.js";

/** `shoal withdraw`: collects everything finished jobs owe the account (pay, refunds) in one token. */
export async function withdrawCommand(options: { token?: string | undefined }, global: GlobalOptions): Promise<void> {
  const token = options.token ? parseAddress(options.token, "--token") : zeroAddress;
  const context = await connect(global, true);
  const unit = await unitOf(context, token);
  const result = await withdraw(context.walletClient, { token, market: context.market });
  const account = context.account.address;
  if (context.json) return outJson({ account, token, amount: result.amount, jobIds: result.jobIds, hash: result.hash ?? null });
  if (result.amount === 0n) return out(`nothing to withdraw for ${account} in ${unit.symbol}`);
  out(`withdrew ${amount(result.amount, unit)} from job${result.jobIds.length > 1 ? "s" : ""} ${result.jobIds.join(", ")}  tx ${result.hash}`);
}
