import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/autotrex.js");

export interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
  /** When the process exited (Date.now()). */
  exitedAt: number;
}

export interface Child {
  kill(signal: NodeJS.Signals): void;
  /** Resolves once stderr has carried text matching `re` (e.g. a progress line). */
  stderrMatches(re: RegExp): Promise<void>;
}

/** Runs the real CLI in a child process, as a user would. */
export function autotrex(args: string[], onStart?: (child: Child) => void): Promise<Exit> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const waiters: Array<{ re: RegExp; resolve: () => void }> = [];
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => {
      stderr += d;
      for (const w of waiters.splice(0)) {
        if (w.re.test(stderr)) w.resolve();
        else waiters.push(w);
      }
    });
    child.on("exit", (code) => done({ code, stdout, stderr, exitedAt: Date.now() }));
    onStart?.({
      kill: (s) => child.kill(s),
      stderrMatches: (re) =>
        new Promise((resolveMatch) => {
          if (re.test(stderr)) resolveMatch();
          else waiters.push({ re, resolve: resolveMatch });
        }),
    });
  });
}

export function tempDir(prefix = "autotrex-cli-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A real tmpfs of `sizeKiB` (read-only if asked) mounted on a fresh directory, or undefined
 * where the machine does not allow mounting (not root, no CAP_SYS_ADMIN).
 */
export function mountTmpfs(
  sizeKiB: number,
  readOnly = false,
): { dir: string; unmount(): void } | undefined {
  const dir = tempDir("autotrex-tmpfs-");
  const options = `size=${sizeKiB}k${readOnly ? ",ro" : ""}`;
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir]);
  if (mounted.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return {
    dir,
    unmount() {
      spawnSync("umount", [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether this machine lets the tests mount a tmpfs (decided once, by trying). */
export const canMountTmpfs = ((): boolean => {
  const probe = mountTmpfs(16);
  probe?.unmount();
  return probe !== undefined;
})();

/** An error line as the CLI must print it: one line, no stack frame. */
export function expectOneLine(stderr: string): string[] {
  const lines = stderr.split("\n").filter((l) => l.startsWith("autotrex:"));
  if (/\n\s+at /.test(stderr)) throw new Error(`a stack trace reached the user:\n${stderr}`);
  return lines;
}
