// The dapp's build: root is app/, output app/dist (git-ignored). `base: "./"` makes every asset URL
// relative, so the static build works from any path (the router uses the URL hash).
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  base: "./",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    rollupOptions: {
      // viem's Tempo chain helpers (never loaded by this app) import node:worker_threads; the
      // browser build leaves it out, as it should. Every other warning is shown.
      onLog(level, log, handler) {
        if (log.message.includes('"node:worker_threads"') && log.message.includes("ox/_esm/tempo/")) return;
        handler(level, log);
      },
    },
  },
  worker: { format: "es" },
  server: { host: "127.0.0.1", strictPort: false },
  preview: { host: "127.0.0.1" },
  logLevel: "warn",
});
