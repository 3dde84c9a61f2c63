/**
 * `autotrex trend <run-dir…> [--out trend.png] [--csv trend.csv]`: the primary threshold's
 * packet rate per frame size across runs, in date order, as a line chart, a CSV and a table.
 */
import type { Command } from "commander";
import { thresholdLabel } from "../report/charts.ts";
import { formatMpps } from "../report/compare.ts";
import { readRunResult, ResultFileError, runName } from "../report/read-result.ts";
import {
  buildTrend,
  dateLabel,
  renderTrendChart,
  trendCsv,
  TrendInputError,
  type Trend,
  type TrendRun,
} from "../report/trend.ts";
import { OutputWriteError, writeOutputFile } from "../report/run-directory.ts";
import { CliError, ExitCode, printable } from "./exit-codes.ts";

export interface RunTrendOptions {
  runDirs: string[];
  /** PNG chart file; none when undefined. */
  outFile?: string;
  csvFile?: string;
  write?: (text: string) => void;
  /** Where the lines about skipped runs go; process.stderr by default. */
  warn?: (text: string) => void;
}

/** A report file (--junit, --markdown, --out, --csv): a write error is one line, exit 4. */
function writeOutput(file: string, data: string | Buffer): void {
  try {
    writeOutputFile(file, data);
  } catch (err) {
    if (err instanceof OutputWriteError) throw new CliError(err.message, ExitCode.writeFailed);
    throw err;
  }
}

/** Marks a figure that is the generator's ceiling, explained under the table. */
const GENERATOR_LIMITED_MARK = "*";

/**
 * The trend as a plain-text table: one row per run, one column per frame size (Mpps); a
 * generator-limited figure is marked, with a line saying what the mark means.
 */
export function trendTable(trend: Trend): string {
  const header = ["date (UTC)", ...trend.frameSizes.map((s) => `${s} B`), "run"];
  const rows = trend.points.map((p) => [
    dateLabel(p.startedAt),
    ...p.ratePps.map(
      (r, i) => formatMpps(r) + (p.generatorLimited[i] ? GENERATOR_LIMITED_MARK : ""),
    ),
    p.run,
  ]);
  const anyLimited = trend.points.some((p) => p.generatorLimited.includes(true));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) =>
        i === 0 ? c.padEnd(widths[i]) : i === cells.length - 1 ? c : c.padStart(widths[i]),
      )
      .join("  ");
  return [
    `${trend.profile}: ${thresholdLabel(trend.threshold)} in Mpps, ${trend.points.length} runs`,
    line(header),
    ...rows.map(line),
    ...(anyLimited
      ? [
          `${GENERATOR_LIMITED_MARK} generator-limited: the generator's ceiling, the DUT forwards at least that`,
        ]
      : []),
    "",
  ].join("\n");
}

/**
 * The runs to plot. A directory without a readable result.json, or a run that measured
 * nothing (it failed or was interrupted before its first size), is skipped with one line:
 * a trend over every directory of results/ keeps going past them. None left is bad input (exit 2).
 */
function readRuns(runDirs: string[], warn: (text: string) => void): TrendRun[] {
  const runs: TrendRun[] = [];
  const skip = (dir: string, why: string): void =>
    warn(
      `autotrex: trend: skipped ${printable(dir, { oneLine: true })}: ${printable(why, { oneLine: true })}\n`,
    );
  for (const dir of runDirs) {
    try {
      const result = readRunResult(dir);
      if (result.sizes.length === 0)
        skip(dir, `the run measured nothing (status ${result.status})`);
      else runs.push({ name: runName(dir), result });
    } catch (err) {
      if (!(err instanceof ResultFileError)) throw err;
      skip(dir, err.message);
    }
  }
  if (runs.length === 0)
    throw new CliError(`no run to plot: all ${runDirs.length} skipped`, ExitCode.usage);
  return runs;
}

/** Reads the runs, prints the table, writes the chart and CSV; resolves to the exit status. */
export async function runTrend(options: RunTrendOptions): Promise<number> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  if (options.runDirs.length === 0) throw new CliError("no run directories given");
  const runs = readRuns(
    options.runDirs,
    options.warn ?? ((text) => void process.stderr.write(text)),
  );
  let trend: Trend;
  try {
    trend = buildTrend(runs);
  } catch (err) {
    if (err instanceof TrendInputError) throw new CliError(err.message, ExitCode.usage);
    throw err;
  }
  if (options.outFile) writeOutput(options.outFile, renderTrendChart(trend));
  if (options.csvFile) writeOutput(options.csvFile, trendCsv(trend));
  write(trendTable(trend));
  return ExitCode.ok;
}

interface TrendFlags {
  out: string;
  csv?: string;
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("trend")
    .description("plot the primary result per frame size across runs, in date order")
    .argument("<run-dir...>", "run directories (or result.json files), any order")
    .option("--out <file>", "line chart (PNG)", "trend.png")
    .option("--csv <file>", "CSV: run, date, then Mpps per frame size")
    .action(async (runDirs: string[], flags: TrendFlags) => {
      setExit(await runTrend({ runDirs, outFile: flags.out, csvFile: flags.csv }));
    });
}
