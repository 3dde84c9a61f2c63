import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

/** The real-server suite drives one TRex server on one testbed: never two files at once. */
const REAL_TREX = "test/real-trex/**/*.test.ts";

export default defineConfig({
  resolve: {
    // Profiles import the public API as "autotrex", wherever they live on disk.
    alias: { autotrex: fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["test/**/*.test.ts"], exclude: [REAL_TREX] },
      },
      {
        extends: true,
        // Runs only with TREX_HOME set (see docs/real-trex.md); one file at a time.
        test: { name: "real-trex", include: [REAL_TREX], fileParallelism: false },
      },
    ],
  },
});
