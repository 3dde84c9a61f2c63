import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { RunOptions } from "../../src/runner/types.ts";

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
    trexDir: null,
    trexCfg: null,
    ...overrides,
  };
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
