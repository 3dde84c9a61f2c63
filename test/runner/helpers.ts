import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { RunResult } from "../../src/report/result.ts";
import { prepareRun, runBenchmark } from "../../src/runner/runner.ts";
import type { RunContext, RunOptions, RunOutcome } from "../../src/runner/types.ts";
import { withSession } from "../../src/session/index.ts";

export const PROFILES = resolve(import.meta.dirname, "../../profiles");

export function tempDir(prefix = "autotrex-run-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Options of a run against the in-process emulator at time scale 0. */
export function emulatedRun(overrides: Partial<RunOptions> = {}): RunOptions {
  return {
    profilePath: join(PROFILES, "tcp_1pkt.ts"),
    sizes: [64, 1518],
    durationS: 30,
    thresholds: [{ name: "NDR", lossPct: 0.01 }],
    encapOverhead: 0,
    txPort: 0,
    rxPort: 1,
    bidirectional: false,
    latencyPps: null,
    search: "bisection",
    server: null,
    emulate: { dut: "default", timeScale: 0, seed: 1 },
    outDir: tempDir(),
    force: false,
    allowSpeedMismatch: false,
    ...overrides,
  };
}

/**
 * A run as the CLI makes it: prepared (profile, sweep, directory), then on a session opened
 * for it (the emulator, or the server of `opts.server`) and closed after.
 */
export async function benchmark(
  opts: RunOptions,
  how: RunContext & { resume?: RunResult; rxDrainMs?: number } = {},
): Promise<RunOutcome> {
  const { resume, rxDrainMs, ...ctx } = how;
  const prepared = await prepareRun(opts, ctx);
  const session = { outDir: opts.outDir, signal: ctx.signal, rxDrainMs };
  return withSession(opts, session, (s) => runBenchmark(prepared, s, ctx, resume));
}

/** Parses a CSV written by the report module (no quoting needed for our figures). */
export function readCsv(path: string): string[][] {
  return readFileSync(path, "utf8")
    .trimEnd()
    .split(/\r?\n/)
    .map((line) => line.split(","));
}

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(path: string): { width: number; height: number } {
  const buf = readFileSync(path);
  if (!buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    throw new Error(`${path} is not a PNG`);
  }
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}
