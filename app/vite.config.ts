// The dapp's build: root is app/, output app/dist (git-ignored). `base: "./"` makes every asset URL
// relative, so the static build works from any path (the router uses the URL hash).
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  base: "./",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", sourcemap: false },
  worker: { format: "es" },
  server: { host: "127.0.0.1", strictPort: false },
  preview: { host: "127.0.0.1" },
  logLevel: "warn",
});
