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
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { lineRatePps } from "../rate/line-rate.ts";
import type { TrialRecord } from "../search/types.ts";
import { renderChart } from "./charts.ts";
import { classicCsv, METRICS, summaryCsv, trialsCsvHeader, trialsCsvRow } from "./csv.ts";
import { parseRunResult, ResultFileError } from "./validate.ts";
import type { RunResult, Threshold } from "./result.ts";

export const RESULT_FILE = "result.json";
export const TRIALS_FILE = "trials.csv";
export const SUMMARY_FILE = "summary.csv";

/** Bytes the output check writes: a run's first result.json and CSVs fit in a few KiB. */
const PROBE_BYTES = 16 * 1024;

let tempCounter = 0;

/**
 * A file of the run (or a report) could not be written: names the file and the errno
 * (EACCES, ENOSPC, EIO, EROFS…). The CLI reports it as one line with exit status 4.
 */
export class OutputWriteError extends Error {
  readonly file: string;
  /** The errno name, "EIO" when the system gave none. */
  readonly code: string;

  constructor(file: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException)?.code ?? "EIO";
    // "ENOSPC: no space left on device, write" → "no space left on device"
    const text = cause instanceof Error ? cause.message : String(cause);
    const reason = /^[A-Z0-9]+: ([^,]+)/.exec(text)?.[1] ?? text.split("\n")[0];
    super(`cannot write ${file}: ${code} (${reason})`);
    this.name = "OutputWriteError";
    this.file = file;
    this.code = code;
  }
}

/**
 * Replaces `path` with `data` atomically: readers see the old file or the new one, never a
 * part. The temp file lives in the same directory, so the rename never crosses filesystems.
 * Throws OutputWriteError naming `path`.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${++tempCounter}.tmp`);
  try {
    const fd = openSync(temp, "w", 0o644);
    try {
      writeAll(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw new OutputWriteError(path, err);
  }
}

function writeAll(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
}

/**
 * Last resort on a full disk: overwrites `path` in place with `text` when it is no longer than
 * the file already is, so the blocks it holds suffice. Returns false when it does not fit.
 */
function rewriteInPlace(path: string, text: string): boolean {
  const bytes = Buffer.from(text, "utf8");
  let fd: number;
  try {
    fd = openSync(path, "r+");
  } catch {
    return false;
  }
  try {
    if (fstatSync(fd).size < bytes.length) return false;
    writeAll(fd, bytes);
    ftruncateSync(fd, bytes.length);
    fsyncSync(fd);
    return true;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/**
 * mkdir -p that reports the real cause: a recursive mkdir on a read-only file system says
 * ENOENT, the first missing component's own mkdir says EROFS. Returns the topmost directory
 * created, if any; throws OutputWriteError naming `dir`.
 */
function makeDirectory(dir: string): string | undefined {
  try {
    return mkdirSync(dir, { recursive: true });
  } catch (err) {
    let cause = err;
    // mkdir -p over a file says EEXIST: the path is there, but not as a directory
    if ((err as NodeJS.ErrnoException).code === "EEXIST")
      cause = Object.assign(new Error("ENOTDIR: not a directory"), { code: "ENOTDIR" });
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      let missing = dir;
      while (!existsSync(dirname(missing)) && dirname(missing) !== missing)
        missing = dirname(missing);
      try {
        mkdirSync(missing);
        rmSync(missing, { recursive: true, force: true });
      } catch (first) {
        cause = first;
      }
    }
    throw new OutputWriteError(dir, cause);
  }
}

/**
 * Writes a report (--junit, --markdown, trend.png…), creating its directory; throws
 * OutputWriteError naming the file. Written in place, not renamed over: the file may be a
 * device or a path CI watches ($GITHUB_STEP_SUMMARY, /dev/stdout).
 */
export function writeOutputFile(file: string, data: string | Uint8Array): void {
  makeDirectory(dirname(file));
  try {
    writeFileSync(file, data);
  } catch (err) {
    throw new OutputWriteError(file, err);
  }
}

/** What the charts and CSVs depend on: unchanged means there is nothing to re-render. */
function derivedSignature(result: RunResult): string {
  return JSON.stringify([
    result.profile,
    result.server,
    result.speedBps,
    result.parameters.thresholds,
    result.startedAt,
    result.sizes,
  ]);
}

export class RunDirectory {
  readonly path: string;
  /** What trials.csv needs from the run, known once writeResult was called. */
  private run: { thresholds: Threshold[]; speedBps: number } | undefined;
  private lastSignature: string | undefined;
  /** The first write that failed: the run stops, and this is what it reports. */
  private failure: OutputWriteError | undefined;

  private constructor(path: string) {
    this.path = path;
  }

  /** Opens (creating if needed) a run directory. An existing one is resumed, not cleared. */
  static async create(outDir: string): Promise<RunDirectory> {
    makeDirectory(outDir);
    return new RunDirectory(outDir);
  }

  /**
   * Checks, before any server is opened, that the run can write its files: creates `outDir`
   * and writes (then removes) a probe file of a few KiB. Returns the topmost directory it
   * created, if any, so a run that measures nothing can leave nothing behind. Throws
   * OutputWriteError.
   */
  static checkWritable(outDir: string): { createdDir: string | undefined } {
    const createdDir = makeDirectory(outDir);
    const probe = join(outDir, `.autotrex-write-check.${process.pid}`);
    try {
      const fd = openSync(probe, "w", 0o644);
      try {
        writeAll(fd, Buffer.alloc(PROBE_BYTES));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      if (createdDir) rmSync(createdDir, { recursive: true, force: true });
      throw new OutputWriteError(outDir, err);
    } finally {
      rmSync(probe, { force: true });
    }
    return { createdDir };
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
    // After a failed write only result.json is attempted: the run is being closed with a
    // final status, and the first failure is the one to report.
    if (this.failure) {
      if (!this.writeResultJson(result)) throw this.failure;
      return;
    }
    try {
      writeFileAtomic(join(this.path, RESULT_FILE), `${JSON.stringify(result, null, 2)}\n`);
    } catch (err) {
      if (err instanceof OutputWriteError) this.failure = err;
      this.writeResultJson(result); // what was measured, in place if the disk is full
      throw err;
    }
    try {
      this.writeDerived(result);
    } catch (err) {
      if (err instanceof OutputWriteError) this.failure = err;
      throw err;
    }
  }

  /**
   * result.json, atomically; on a full disk, in place in its compact form, which usually fits
   * in the blocks the file already holds (so it never says "running" forever). False when
   * neither worked.
   */
  private writeResultJson(result: RunResult): boolean {
    const file = join(this.path, RESULT_FILE);
    try {
      writeFileAtomic(file, `${JSON.stringify(result, null, 2)}\n`);
      return true;
    } catch (err) {
      if (!(err instanceof OutputWriteError)) throw err;
      return err.code === "ENOSPC" && rewriteInPlace(file, `${JSON.stringify(result)}\n`);
    }
  }

  private writeDerived(result: RunResult): void {
    this.run = { thresholds: [...result.parameters.thresholds], speedBps: result.speedBps };
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
    if (existing.length === 0) existing = trialsCsvHeader(run.thresholds);
    const row = trialsCsvRow(
      frameSize,
      trial,
      startedAt,
      lineRate ?? lineRatePps(run.speedBps, frameSize),
      run.thresholds.length,
    );
    // Rewritten whole rather than appended in place: a crash mid-write cannot leave half a line.
    try {
      writeFileAtomic(file, existing + row);
    } catch (err) {
      if (err instanceof OutputWriteError) this.failure ??= err;
      throw err;
    }
  }
}
