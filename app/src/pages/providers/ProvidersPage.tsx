import { useQuery } from "@tanstack/react-query";
import { usePublicClient } from "wagmi";
import { Empty, ErrorLine, Loading } from "../../components/States";
import { useShoal } from "../../lib/config";
import { fil, readProviders } from "./readProviders";
import "./providers.css";

/** The provider registry: who can run jobs, their stake, gateway, miner and locality record. */
export default function ProvidersPage() {
  const { chainId, registry, market, fromBlock, pollingInterval } = useShoal();
  const client = usePublicClient({ chainId });
  const query = useQuery({
    queryKey: ["shoal", "providers", chainId, registry, market, String(fromBlock)],
    queryFn: () => readProviders(client!, { registry, market, fromBlock }),
    enabled: client !== undefined,
    refetchInterval: pollingInterval,
  });

  return (
    <section className="page page-providers" aria-labelledby="providers-title">
      <h1 id="providers-title">Providers</h1>
      <p className="lead">Storage providers registered to run jobs next to the data they store.</p>
      {query.isPending ? (
        <Loading label="Reading the provider registry" />
      ) : query.isError && query.data === undefined ? (
        <ErrorLine error={query.error} onRetry={() => void query.refetch()} />
      ) : query.data.length === 0 ? (
        <Empty>No provider has registered on this chain yet.</Empty>
      ) : (
        <>
          {query.isError && <ErrorLine error={query.error} onRetry={() => void query.refetch()} />}
          <ul className="cards" aria-label="Registered providers">
            {query.data.map((p) => (
              <li key={p.address} className="card" data-testid="provider-row" data-address={p.address}>
                <h2 className="mono break">{p.address}</h2>
                <dl className="facts">
                  <dt>Status</dt>
                  <dd>{p.active ? "active" : "inactive"}</dd>
                  <dt>Stake</dt>
                  <dd data-testid="provider-stake">{fil(p.stake)}</dd>
                  <dt>Free stake</dt>
                  <dd data-testid="provider-free">{fil(p.free)}</dd>
                  {p.unbonding > 0n && (
                    <>
                      <dt>Unbonding</dt>
                      <dd>{fil(p.unbonding)}</dd>
                    </>
                  )}
                  <dt>Gateway</dt>
                  <dd className="break">
                    <a href={p.gatewayUrl} target="_blank" rel="noreferrer" data-testid="provider-gateway">
                      {p.gatewayUrl}
                    </a>
                  </dd>
                  <dt>Miner</dt>
                  <dd data-testid="provider-miner">{p.minerId === 0n ? "none bound" : `f0${p.minerId}`}</dd>
                  <dt>Engines</dt>
                  <dd>{p.engines.join(", ") || "none"}</dd>
                  <dt>Locality proofs seen</dt>
                  <dd data-testid="provider-proofs">
                    {p.localityProofs} of {p.claims} claim{p.claims === 1 ? "" : "s"}
                  </dd>
                </dl>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
