#!/usr/bin/env node
// Runs the TypeScript sources directly (no build step) and lets profiles anywhere on disk
// `import ... from "autotrex"`.
import { register } from "node:module";
import { register as registerTsx } from "tsx/esm/api";

registerTsx();
register("../src/profile/resolve-hook.js", import.meta.url);
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv);
