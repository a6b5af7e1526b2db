// Start: load shoal.config.json, build the wagmi config from it, then render the app inside
// wagmi's and TanStack Query's providers.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { WagmiProvider } from "wagmi";
import { App } from "./App";
import { shoalChains } from "./config/chains";
import { createWagmiConfig } from "./config/wagmi";
import { ShoalChainsContext } from "./lib/config";
import { explainError } from "./lib/errors";
import { loadRuntimeConfig } from "./lib/runtimeConfig";
import "./styles.css";

const root = createRoot(document.getElementById("root")!);
const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false } },
});

try {
  const chains = shoalChains(await loadRuntimeConfig());
  const wagmiConfig = createWagmiConfig(chains);
  root.render(
    <StrictMode>
      <WagmiProvider config={wagmiConfig}>
        <QueryClientProvider client={queryClient}>
          <ShoalChainsContext.Provider value={chains}>
            <App />
          </ShoalChainsContext.Provider>
        </QueryClientProvider>
      </WagmiProvider>
    </StrictMode>,
  );
} catch (error) {
  root.render(
    <main id="main">
      <p className="state error" role="alert" data-testid="error">
        {explainError(error)}
      </p>
    </main>,
  );
}
