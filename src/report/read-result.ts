/**
 * Reads the result.json of a finished run for `compare` and `trend`, given a run directory or
 * the file itself (a baseline is often kept as a bare result.json). Validation is the one of
 * --resume (validate.ts): a truncated or foreign file is bad input, named with its field.
 */
import { readFileSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { RunResult } from "./result.ts";
import { RESULT_FILE } from "./run-directory.ts";
import { parseRunResult, ResultFileError } from "./validate.ts";

export { ResultFileError };

/** The result.json a path names: the path itself, or result.json inside a run directory. */
export function resultFilePath(runDirOrFile: string): string {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(runDirOrFile).isDirectory();
  } catch {
    throw new ResultFileError(
      `${runDirOrFile}: no such run directory or result file`,
      runDirOrFile,
    );
  }
  return isDirectory ? join(runDirOrFile, RESULT_FILE) : runDirOrFile;
}

/** The name a run goes by in tables and trends: its directory's name. */
export function runName(runDirOrFile: string): string {
  const file = resolve(resultFilePath(runDirOrFile));
  return basename(basename(file) === RESULT_FILE ? dirname(file) : file);
}

/** The run result stored in a run directory (or at a result.json path). */
export function readRunResult(runDirOrFile: string): RunResult {
  const file = resultFilePath(runDirOrFile);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
    throw new ResultFileError(
      missing
        ? `${file}: not found (is ${runDirOrFile} a run directory?)`
        : `${file}: cannot be read (${(err as Error).message})`,
      file,
    );
  }
  return parseRunResult(text, file);
}
