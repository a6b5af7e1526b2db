// An address shown short, full in its title, linked to the chain's explorer when it has one.
import { useShoalChain } from "../lib/config";
import { shortAddress } from "../lib/format";

export function AddressLink({ address }: { address: string }) {
  const explorer = useShoalChain()?.chain.blockExplorers?.default.url;
  const text = <code title={address}>{shortAddress(address)}</code>;
  return explorer ? (
    <a href={`${explorer.replace(/\/$/, "")}/address/${address}`} target="_blank" rel="noreferrer">
      {text}
    </a>
  ) : (
    text
  );
}
