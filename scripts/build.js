#!/usr/bin/env node
// `npm run build` (also run by `prepack`, so by npm pack and publish): compiles src/ into
// dist/ from scratch with tsconfig.build.json, copies the files tsc does not emit (the agent's
// .proto), and stamps the build with its start time, so that bin/autotrex.js can tell a dist/
// older than the sources.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const src = join(root, "src");
const dist = join(root, "dist");
/** Emitted by tsc (allowJs); everything else under src/ is an asset copied as is. */
const COMPILED = new Set([".ts", ".js"]);
/** Written last; its time is when the build started (see bin/autotrex.js). */
const STAMP = join(dist, ".build-stamp");

const startedAt = new Date();
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
try {
  execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], {
    stdio: "inherit",
  });
} catch {
  process.stderr.write("build: tsc failed (errors above)\n");
  process.exit(1);
}
for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || COMPILED.has(extname(entry.name))) continue;
  const from = join(entry.parentPath, entry.name);
  const to = join(dist, relative(src, from));
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to);
}
writeFileSync(STAMP, `${startedAt.toISOString()}\n`);
utimesSync(STAMP, startedAt, startedAt);
