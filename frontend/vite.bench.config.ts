import { fileURLToPath, URL } from "node:url";

import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The span-layer benchmark page (benchmarks/ui.py): the production TextResponse component on
// synthetic data, built like the app (minified, production React) into dist-bench/.
export default defineConfig({
  plugins: [react()],
  base: "./",
  root: fileURLToPath(new URL("./bench", import.meta.url)),
  resolve: { alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) } },
  build: {
    outDir: fileURLToPath(new URL("./dist-bench", import.meta.url)),
    emptyOutDir: true,
  },
});
