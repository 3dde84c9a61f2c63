/**
 * A fresh build of autotrex laid out as npm installs it (bin/, dist/, profiles/, package.json,
 * node_modules linked), for benches that time the command as a user runs it: no src/, so the
 * bin runs the compiled code without tsx or the stale-build check of a checkout.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

export interface InstalledCopy {
  /** bin/autotrex.js of the copy. */
  bin: string;
  remove(): void;
}

export function installedCopy(): InstalledCopy {
  execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "inherit" });
  const dir = mkdtempSync(join(tmpdir(), "autotrex-bench-installed-"));
  for (const part of ["bin", "dist", "profiles", "package.json"])
    cpSync(join(ROOT, part), join(dir, part), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return {
    bin: join(dir, "bin/autotrex.js"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
