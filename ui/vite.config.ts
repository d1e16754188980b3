// Vite builds the UI into ui/dist, which Tauri embeds in the binary
// (tauri.conf.json: build.frontendDist). Vitest shares this config.
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) },
  },
  // Tauri serves the files itself; relative URLs keep them working from the
  // custom protocol. Everything is bundled: nothing is fetched at run time.
  base: "./",
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
    // Beside ui/ itself: the shared workflow fixtures, the model's kind
    // list and the built-in templates, which unit tests read (never part of
    // the build).
    fs: { allow: [".", "../tests/fixtures", "../crates/cairn-model/src", "../assets/templates"] },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // WebKitGTK 2.40+ (Debian 12) handles ES2021.
    target: "es2021",
    sourcemap: false,
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
    // Room for the longer asyncUtilTimeout of src/test/setup.ts.
    testTimeout: 15000,
  },
});
