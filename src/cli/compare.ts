/**
 * `autotrex compare <run-dir> --baseline <run-dir|result.json>`: the nightly regression check.
 * Exit 0 when nothing regressed, 1 on a regression (or a result gone missing), 2 on bad input
 * (no result.json, or runs of another profile, other thresholds or another port speed).
 */
import type { Command } from "commander";
import {
  compareRuns,
  DEFAULT_TOLERANCE_PCT,
  formatChangePct,
  formatMpps,
  IncompatibleRunsError,
  thresholdTag,
  type Comparison,
} from "../report/compare.ts";
import { junitXml } from "../report/junit.ts";
import { comparisonMarkdown } from "../report/markdown.ts";
import { readRunResult, ResultFileError } from "../report/read-result.ts";
import type { RunResult } from "../report/result.ts";
import { OutputWriteError, writeOutputFile } from "../report/run-directory.ts";
import { CliError, ExitCode } from "./exit-codes.ts";
import { parseNumber } from "./flags.ts";

export interface RunCompareOptions {
  /** The run to judge: a run directory, a result.json path, or a result already in memory. */
  current: string | RunResult;
  /** The baseline: a run directory or a result.json path. */
  baseline: string;
  tolerancePct?: number;
  junitFile?: string;
  markdownFile?: string;
  /** Print the comparison as JSON instead of the table. */
  json?: boolean;
  /** Where the table (or JSON) goes; process.stdout by default. */
  write?: (text: string) => void;
}

function load(what: string, path: string): RunResult {
  try {
    return readRunResult(path);
  } catch (err) {
    if (err instanceof ResultFileError)
      throw new CliError(`${what}: ${err.message}`, ExitCode.usage);
    throw err;
  }
}

/** A report file (--junit, --markdown, --out, --csv): a write error is one line, exit 4. */
function writeOutput(file: string, text: string): void {
  try {
    writeOutputFile(file, text);
  } catch (err) {
    if (err instanceof OutputWriteError) throw new CliError(err.message, ExitCode.writeFailed);
    throw err;
  }
}

/** The comparison as an aligned plain-text table, for a terminal or a CI log. */
export function comparisonTable(comparison: Comparison): string {
  const header = ["size", "threshold", "baseline Mpps", "current Mpps", "change %", "verdict"];
  const rows = comparison.rows.map((row) => [
    `${row.frameSize} B`,
    thresholdTag(row),
    formatMpps(row.baselineRatePps),
    formatMpps(row.currentRatePps),
    formatChangePct(row.changePct),
    row.verdict === "regressed" || row.verdict === "missing"
      ? row.verdict.toUpperCase()
      : row.verdict + (row.reason && row.verdict !== "ok" ? ` (${row.reason})` : ""),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  // Numbers right-aligned, words left-aligned; the last column is not padded.
  const rightAligned = [true, false, true, true, true, false];
  const line = (cells: string[]) =>
    cells
      .map((cell, i) =>
        i === cells.length - 1
          ? cell
          : rightAligned[i]
            ? cell.padStart(widths[i])
            : cell.padEnd(widths[i]),
      )
      .join("  ");
  const missing = comparison.rows.filter((r) => r.verdict === "missing");
  const { counts } = comparison;
  const verdict = comparison.regressed
    ? `REGRESSION: ${counts.regressed} regressed, ${counts.missing} missing`
    : "no regression";
  return [
    `${comparison.profile}: current ${comparison.current.startedAt} vs baseline ${comparison.baseline.startedAt}, tolerance ${comparison.tolerancePct} %`,
    ...(["current", "baseline"] as const)
      .filter((which) => comparison[which].status !== "complete")
      // An interrupted or failed run lacks sizes: they show as missing, this says why.
      .map((which) => `note: the ${which} run is ${comparison[which].status}`),
    line(header),
    ...rows.map(line),
    ...missing.map((r) => `  ${r.frameSize} B ${thresholdTag(r)}: ${r.reason ?? "no result"}`),
    `${verdict}; ${counts.ok} ok, ${counts.improved} improved, ${counts.inconclusive} inconclusive, ${counts.new} new, ${counts["n/a"]} n/a`,
    "",
  ].join("\n");
}

/**
 * Compares a run with a baseline, prints the result, writes the JUnit/Markdown files asked for
 * and resolves to the exit status (0 or 1). Bad input throws a CliError (exit 2).
 * Exported for `autotrex run … --baseline X`.
 */
export async function runCompare(options: RunCompareOptions): Promise<number> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const current =
    typeof options.current === "string" ? load("run", options.current) : options.current;
  const baseline = load("baseline", options.baseline);
  let comparison: Comparison;
  try {
    comparison = compareRuns(current, baseline, {
      tolerancePct: options.tolerancePct ?? DEFAULT_TOLERANCE_PCT,
    });
  } catch (err) {
    if (err instanceof IncompatibleRunsError || err instanceof RangeError) {
      throw new CliError(err.message, ExitCode.usage);
    }
    throw err;
  }
  if (options.junitFile) writeOutput(options.junitFile, junitXml(comparison));
  if (options.markdownFile) writeOutput(options.markdownFile, comparisonMarkdown(comparison));
  write(options.json ? `${JSON.stringify(comparison, null, 2)}\n` : comparisonTable(comparison));
  return comparison.regressed ? ExitCode.someFailed : ExitCode.ok;
}

/** "2", "0.5", "2%": a non-negative percentage. */
export function parseTolerance(text: string): number {
  const value = text.trim().replace(/%$/, "");
  return parseNumber("--tolerance", value, (n) => n >= 0, "a percentage ≥ 0");
}

interface CompareFlags {
  baseline?: string;
  tolerance: string;
  junit?: string;
  markdown?: string;
  json?: boolean;
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("compare")
    .description(
      "compare a run with a baseline run: exit 0 ok, 1 regression, 2 bad or incompatible input",
    )
    .argument("<run-dir>", "the run to judge (a run directory or its result.json)")
    .option("--baseline <run-dir|result.json>", "the run to compare with (required)")
    .option(
      "--tolerance <pct>",
      "allowed drop below the baseline, percent",
      String(DEFAULT_TOLERANCE_PCT),
    )
    .option("--junit <file>", "write JUnit XML (one test case per frame size × threshold)")
    .option("--markdown <file>", "write a Markdown table (e.g. $GITHUB_STEP_SUMMARY)")
    .option("--json", "print the comparison as JSON instead of a table")
    .action(async (runDir: string, flags: CompareFlags) => {
      if (!flags.baseline) throw new CliError("missing --baseline <run-dir|result.json>");
      setExit(
        await runCompare({
          current: runDir,
          baseline: flags.baseline,
          tolerancePct: parseTolerance(flags.tolerance),
          junitFile: flags.junit,
          markdownFile: flags.markdown,
          json: flags.json,
        }),
      );
    });
}
