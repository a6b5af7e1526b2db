import type { Account, Address } from "viem";

/** Options every provider action takes. */
export type WriteOptions = { account?: Account | Address | undefined; gas?: bigint | undefined };
/** A provider action on the market (default: the deployment on the client's chain). */
export type OnMarket = WriteOptions & { market?: Address | undefined };
/** A provider action on the registry (default: the deployment on the client's chain). */
export type OnRegistry = WriteOptions & { registry?: Address | undefined };

/** What a provider can run. `engines`: 1 = WASM, 2 = Docker (bit set). */
export type Capabilities = { engines: number; cpus: number; memoryMb: number; gpus: number };
