/**
 * `autotrex trend <run-dir…> [--out trend.png] [--csv trend.csv]`: the primary threshold's
 * packet rate per frame size across runs, in date order, as a line chart, a CSV and a table.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Command } from "commander";
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
import { CliError, ExitCode } from "./exit-codes.ts";

export interface RunTrendOptions {
  runDirs: string[];
  /** PNG chart file; none when undefined. */
  outFile?: string;
  csvFile?: string;
  write?: (text: string) => void;
}

function writeOutput(file: string, data: string | Buffer): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, data);
  } catch (err) {
    throw new CliError(`cannot write ${file}: ${(err as Error).message}`, ExitCode.usage);
  }
}

/** The trend as a plain-text table: one row per run, one column per frame size (Mpps). */
export function trendTable(trend: Trend): string {
  const header = ["date (UTC)", ...trend.frameSizes.map((s) => `${s} B`), "run"];
  const rows = trend.points.map((p) => [
    dateLabel(p.startedAt),
    ...p.ratePps.map((r) => formatMpps(r)),
    p.run,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) =>
        i === 0 ? c.padEnd(widths[i]) : i === cells.length - 1 ? c : c.padStart(widths[i]),
      )
      .join("  ");
  return [
    `${trend.profile}: NDR (loss ≤ ${trend.lossThresholdPct} %) in Mpps, ${trend.points.length} runs`,
    line(header),
    ...rows.map(line),
    "",
  ].join("\n");
}

/** Reads the runs, prints the table, writes the chart and CSV; resolves to the exit status. */
export async function runTrend(options: RunTrendOptions): Promise<number> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  if (options.runDirs.length === 0) throw new CliError("no run directories given");
  const runs: TrendRun[] = options.runDirs.map((dir) => {
    try {
      return { name: runName(dir), result: readRunResult(dir) };
    } catch (err) {
      if (err instanceof ResultFileError) throw new CliError(err.message, ExitCode.usage);
      throw err;
    }
  });
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
