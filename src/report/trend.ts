/**
 * A trend over nightly runs: the primary threshold's packet rate per frame size, runs in date
 * order (startedAt), as a CSV and a line chart (one line per frame size). The runs must have
 * measured the same thing: same profile, same primary threshold, same port speed.
 */
import type { ChartConfiguration } from "chart.js";
import { stringify } from "csv-stringify/sync";
import { describeDifference, runDifferences } from "./compare.ts";
import {
  FONT_FAMILY,
  GRID_COLOR,
  MUTED_COLOR,
  TEXT_COLOR,
  axisTitle,
  renderPng,
} from "./chart-style.ts";
import { thresholdLabel } from "./charts.ts";
import type { RunResult, Threshold } from "./result.ts";

export interface TrendRun {
  /** What the run is called in the CSV (its directory's name). */
  name: string;
  result: RunResult;
}

export interface TrendPoint {
  run: string;
  startedAt: string;
  /** Rate per frame size (same order as Trend.frameSizes); null where the run had none. */
  ratePps: Array<number | null>;
  /** Per frame size: the rate is the generator's ceiling, a lower bound on the DUT. */
  generatorLimited: boolean[];
}

export interface Trend {
  profile: string;
  speedBps: number;
  /** The primary threshold of the runs (the same name and percentage in each). */
  threshold: Threshold;
  /** Every frame size any run measured, ascending. */
  frameSizes: number[];
  /** One point per run, oldest first. */
  points: TrendPoint[];
}

/** Thrown for an empty list of runs or runs that measured different things. */
export class TrendInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrendInputError";
  }
}

function startedAtMs(run: TrendRun): number {
  const ms = Date.parse(run.result.startedAt);
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

/** The trend of a set of runs (any order): pure. */
export function buildTrend(runs: readonly TrendRun[]): Trend {
  if (runs.length === 0) throw new TrendInputError("no runs to plot");
  const ordered = [...runs].sort(
    (a, b) => startedAtMs(a) - startedAtMs(b) || a.name.localeCompare(b.name),
  );
  const first = ordered[0];
  for (const run of ordered.slice(1)) {
    const differences = runDifferences(run.result, first.result, "primary");
    if (differences.length > 0) {
      const what = differences.map((d) => describeDifference(d, run.name, first.name)).join("; ");
      throw new TrendInputError(`runs are not comparable: ${what}`);
    }
  }
  const threshold = first.result.parameters.thresholds[0];
  const frameSizes = [
    ...new Set(ordered.flatMap((run) => run.result.sizes.map((s) => s.frameSize))),
  ].sort((a, b) => a - b);
  const points = ordered.map((run) => {
    const bySize = new Map(run.result.sizes.map((s) => [s.frameSize, s]));
    const outcomes = frameSizes.map((frameSize) =>
      bySize.get(frameSize)?.results.find((r) => r.threshold === threshold.name),
    );
    return {
      run: run.name,
      startedAt: run.result.startedAt,
      ratePps: outcomes.map((o) => (o ? o.ratePps : null)),
      generatorLimited: outcomes.map((o) => o?.generatorLimited === true),
    };
  });
  return {
    profile: first.result.profile.name,
    speedBps: first.result.speedBps,
    threshold: { ...threshold },
    frameSizes,
    points,
  };
}

/**
 * trend.csv: `run,date,64B_Mpps,128B_Mpps,…,generator_limited`, one row per run, oldest first;
 * N/A if none; the last column lists the sizes whose rate is the generator's ceiling
 * (`64;128`), so the rate columns stay plain numbers.
 */
export function trendCsv(trend: Trend): string {
  const header = ["run", "date", ...trend.frameSizes.map((s) => `${s}B_Mpps`), "generator_limited"];
  const rows = trend.points.map((p) => [
    p.run,
    p.startedAt,
    ...p.ratePps.map((r) => (r === null ? "N/A" : String(r / 1e6))),
    trend.frameSizes.filter((_, i) => p.generatorLimited[i]).join(";"),
  ]);
  return stringify([header, ...rows], { record_delimiter: "windows" });
}

export const TREND_WIDTH = 1200;
export const TREND_HEIGHT = 700;

/** Distinct hues for up to a dozen frame sizes (Tableau-like, readable on white). */
const LINE_COLORS = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
  "#393b79",
  "#ad494a",
];
const POINT_STYLES = ["circle", "rect", "triangle", "rectRot", "crossRot", "star"] as const;

/** "2025-11-23 02:00": a run's date (UTC, minutes are enough for nightly runs). */
export function dateLabel(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}

/** An x label on two lines, date over time, so that a month of nights needs no rotation. */
function axisLabel(iso: string): string[] {
  return dateLabel(iso).split(" ");
}

function formatSpeed(speedBps: number): string {
  return speedBps >= 1e9 ? `${speedBps / 1e9} Gb/s` : `${speedBps / 1e6} Mb/s`;
}

/** The trend's y axis: linear from zero, or logarithmic with head room (see below). */
type TrendScale = NonNullable<NonNullable<ChartConfiguration<"line">["options"]>["scales"]>[string];

function trendYAxis(min: number, max: number, logarithmic: boolean): TrendScale {
  return logarithmic
    ? {
        type: "logarithmic",
        // Head room so that the top and bottom lines do not sit on the chart's edges.
        suggestedMin: min / 1.15,
        suggestedMax: max * 1.15,
        title: axisTitle("Packet rate (Mpps, log scale)"),
        ticks: {
          color: TEXT_COLOR,
          font: { family: FONT_FAMILY, size: 13 },
          callback: (value: number | string) => Number(Number(value).toPrecision(3)).toString(),
        },
        grid: { color: GRID_COLOR },
        border: { display: false },
      }
    : {
        type: "linear",
        beginAtZero: true,
        suggestedMax: max > 0 ? max * 1.08 : 1,
        title: axisTitle("Packet rate (Mpps)"),
        ticks: { color: TEXT_COLOR, font: { family: FONT_FAMILY, size: 13 } },
        grid: { color: GRID_COLOR },
        border: { display: false },
      };
}

/**
 * The Chart.js configuration of the trend chart: pure, so it can be inspected without
 * rendering. Sizes differ by two orders of magnitude in Mpps (64 B vs 9216 B), so the y axis
 * goes logarithmic when they would otherwise flatten the large frames into the x axis.
 */
export function trendChartConfiguration(
  trend: Trend,
): ChartConfiguration<"line", Array<number | null>, string[]> {
  const values = trend.points.flatMap((p) => p.ratePps.filter((r): r is number => r !== null));
  const min = Math.min(...values.map((v) => v / 1e6));
  const max = Math.max(...values.map((v) => v / 1e6));
  const logarithmic = values.length > 0 && min > 0 && max / min > 20;
  const labels = trend.points.map((p) => axisLabel(p.startedAt));
  const datasets = trend.frameSizes.map((frameSize, i) => ({
    label: `${frameSize} B`,
    data: trend.points.map((p) => (p.ratePps[i] === null ? null : p.ratePps[i]! / 1e6)),
    borderColor: LINE_COLORS[i % LINE_COLORS.length],
    backgroundColor: LINE_COLORS[i % LINE_COLORS.length],
    // A hollow point is the generator's ceiling that night, not the DUT's rate.
    pointBackgroundColor: trend.points.map((p) =>
      p.generatorLimited[i] ? "#ffffff" : LINE_COLORS[i % LINE_COLORS.length],
    ),
    borderWidth: 2.5,
    pointRadius: 4.5,
    pointStyle: POINT_STYLES[Math.floor(i / LINE_COLORS.length) % POINT_STYLES.length],
    tension: 0,
    // A night without a result shows as a gap, not as a line through it.
    spanGaps: false,
  }));
  const threshold = thresholdLabel(trend.threshold);
  const anyLimited = trend.points.some((p) => p.generatorLimited.includes(true));
  return {
    type: "line",
    data: { labels, datasets },
    options: {
      responsive: false,
      animation: false,
      devicePixelRatio: 1,
      layout: { padding: { top: 8, right: 16, bottom: 8, left: 12 } },
      plugins: {
        title: {
          display: true,
          text: `Packet rate per frame size over runs — ${trend.profile}`,
          color: TEXT_COLOR,
          font: { family: FONT_FAMILY, size: 22, weight: "bold" },
          padding: { top: 6, bottom: 4 },
        },
        subtitle: {
          display: true,
          text:
            `${threshold}  ·  ${formatSpeed(trend.speedBps)} ports  ·  ${trend.points.length} runs` +
            `${logarithmic ? "  ·  logarithmic scale" : ""}` +
            `${anyLimited ? "  ·  hollow point: generator-limited (the generator's ceiling)" : ""}`,
          color: MUTED_COLOR,
          font: { family: FONT_FAMILY, size: 14 },
          padding: { bottom: 10 },
        },
        legend: {
          display: true,
          position: "right",
          labels: {
            color: TEXT_COLOR,
            font: { family: FONT_FAMILY, size: 14 },
            usePointStyle: true,
            boxWidth: 10,
            boxHeight: 10,
            padding: 12,
          },
        },
        tooltip: { enabled: false },
      },
      scales: {
        x: {
          // Half a step of room so the first and last runs' points are not cut by the axes.
          offset: true,
          title: axisTitle("Run date (UTC)"),
          ticks: {
            color: TEXT_COLOR,
            font: { family: FONT_FAMILY, size: 13 },
            maxRotation: 0,
            autoSkip: true,
          },
          grid: { color: GRID_COLOR },
          border: { color: "#888888" },
        },
        y: trendYAxis(min, max, logarithmic),
      },
    },
  };
}

/** The trend chart as a PNG, on a white background. */
export function renderTrendChart(trend: Trend): Buffer {
  return renderPng(trendChartConfiguration(trend), TREND_WIDTH, TREND_HEIGHT);
}
