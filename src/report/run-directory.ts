/**
 * A run directory on disk: result.json and every file derived from it (Mpps.csv, L1Gbps.csv,
 * L2Gbps.csv, summary.csv, Mpps.png, L1Gbps.png, L2Gbps.png), plus trials.csv, the log of every
 * trial. Every file is replaced atomically (temp file in the same directory, fsync, rename), so
 * an interrupted run never leaves a half-written file behind: what is on disk is what was
 * measured up to the last finished write.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { lineRatePps } from "../rate/line-rate.ts";
import type { TrialRecord } from "../search/types.ts";
import { renderChart } from "./charts.ts";
import { classicCsv, METRICS, summaryCsv, trialsCsvHeader, trialsCsvRow } from "./csv.ts";
import { parseRunResult, ResultFileError } from "./validate.ts";
import type { RunResult } from "./result.ts";

export const RESULT_FILE = "result.json";
export const TRIALS_FILE = "trials.csv";
export const SUMMARY_FILE = "summary.csv";

let tempCounter = 0;

/**
 * Replaces `path` with `data` atomically: readers see the old file or the new one, never a
 * part. The temp file lives in the same directory, so the rename never crosses filesystems.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${++tempCounter}.tmp`);
  try {
    const fd = openSync(temp, "w", 0o644);
    try {
      const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** What the charts and CSVs depend on: unchanged means there is nothing to re-render. */
function derivedSignature(result: RunResult): string {
  return JSON.stringify([
    result.profile,
    result.server,
    result.speedBps,
    result.lossThresholdsPct,
    result.startedAt,
    result.sizes,
  ]);
}

export class RunDirectory {
  readonly path: string;
  /** What trials.csv needs from the run, known once writeResult was called. */
  private run: { lossThresholdsPct: number[]; speedBps: number } | undefined;
  private lastSignature: string | undefined;

  private constructor(path: string) {
    this.path = path;
  }

  /** Opens (creating if needed) a run directory. An existing one is resumed, not cleared. */
  static async create(outDir: string): Promise<RunDirectory> {
    mkdirSync(outDir, { recursive: true });
    return new RunDirectory(outDir);
  }

  /** Reads and validates result.json of a run directory (for --resume and compare). */
  static load(dir: string): RunResult {
    const file = join(dir, RESULT_FILE);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") {
        throw new ResultFileError(`${file}: not found (is ${dir} a run directory?)`, file);
      }
      throw new ResultFileError(`${file}: cannot be read (${(err as Error).message})`, file);
    }
    return parseRunResult(text, file);
  }

  /**
   * Writes result.json and, when the measured sizes changed since the last call, the CSVs and
   * the charts derived from it (so the charts are rendered once per finished size, not on
   * every status update).
   */
  writeResult(result: RunResult): void {
    writeFileAtomic(join(this.path, RESULT_FILE), `${JSON.stringify(result, null, 2)}\n`);
    this.run = { lossThresholdsPct: [...result.lossThresholdsPct], speedBps: result.speedBps };
    const signature = derivedSignature(result);
    if (signature === this.lastSignature) return;
    for (const metric of METRICS) {
      writeFileAtomic(join(this.path, `${metric}.csv`), classicCsv(metric, result));
    }
    writeFileAtomic(join(this.path, SUMMARY_FILE), summaryCsv(result));
    // Nothing measured yet: no chart rather than an empty one.
    if (result.sizes.length > 0) {
      for (const metric of METRICS) {
        writeFileAtomic(join(this.path, `${metric}.png`), renderChart(metric, result));
      }
    }
    this.lastSignature = signature;
  }

  /**
   * Adds one trial to trials.csv (header written once, when the file is new). The verdict
   * columns and the percentage of line rate come from the run's thresholds and port speed, so
   * writeResult must have been called first. `lineRatePps` overrides the line rate of
   * `frameSize` at the port speed (a profile mixing frame sizes uses its mean size).
   */
  appendTrial(frameSize: number, trial: TrialRecord, startedAt: Date, lineRate?: number): void {
    const run = this.run;
    if (!run) {
      throw new Error(
        "RunDirectory.appendTrial: call writeResult first (trials.csv needs the run's loss thresholds and port speed)",
      );
    }
    const file = join(this.path, TRIALS_FILE);
    let existing = existsSync(file) ? readFileSync(file, "utf8") : "";
    if (existing.length === 0) existing = trialsCsvHeader(run.lossThresholdsPct);
    const row = trialsCsvRow(
      frameSize,
      trial,
      startedAt,
      lineRate ?? lineRatePps(run.speedBps, frameSize),
      run.lossThresholdsPct.length,
    );
    // Rewritten whole rather than appended in place: a crash mid-write cannot leave half a line.
    writeFileAtomic(file, existing + row);
  }
}
