#!/usr/bin/env node
// The autotrex command. Runs the compiled JavaScript in dist/ (what the package ships). In a
// checkout whose dist/ is missing or older than a file under src/, it runs the TypeScript
// sources through tsx instead, so that an edit is never hidden by a stale build. Profiles are
// not loaded here: they run in a worker thread that registers its own hooks (src/profile/).
import { existsSync, readdirSync, statSync } from "node:fs";

// Ctrl-C/SIGTERM during start-up exit with the documented 130; src/cli/main.ts removes this
// handler once the command has loaded and set up its own.
const earlySignal = () => process.exit(130);
globalThis[Symbol.for("autotrex.earlySignal")] = earlySignal;
process.on("SIGINT", earlySignal);
process.on("SIGTERM", earlySignal);

const root = new URL("../", import.meta.url);
const stamp = new URL("dist/.build-stamp", root);
const sources = new URL("src/", root);

function builtAtMs() {
  try {
    return statSync(stamp).mtimeMs;
  } catch {
    return -Infinity;
  }
}

/** True when some source file changed after the build started (only in a checkout). */
function distIsStale() {
  if (!existsSync(sources)) return false;
  const builtAt = builtAtMs();
  if (builtAt === -Infinity) return true;
  for (const entry of readdirSync(sources, { recursive: true, withFileTypes: true })) {
    if (!entry.isDirectory() && statSync(`${entry.parentPath}/${entry.name}`).mtimeMs > builtAt)
      return true;
  }
  return false;
}

let main;
if (process.env.AUTOTREX_FROM_SOURCE === "1" || distIsStale()) {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import("../src/cli/main.ts"));
} else {
  ({ main } = await import("../dist/cli/main.js"));
}
process.exitCode = await main(process.argv);
