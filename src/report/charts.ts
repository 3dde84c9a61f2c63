/**
 * The PNG charts of a run directory (Mpps.png, L1Gbps.png, L2Gbps.png): the measured value per
 * frame size as bars (primary threshold, plus a bar set per further threshold), the theoretical
 * line rate as a line, and "N/A" on sizes without a result. Rendered with Chart.js on a
 * server-side canvas, on a white background so that they can be pasted into a report as is.
 */
import type { Chart, ChartConfiguration, ChartDataset, Plugin } from "chart.js";
import { metricValue, NOT_AVAILABLE, outcomeFor, sizesAscending, type Metric } from "./csv.ts";
import {
  FONT_FAMILY,
  GRID_COLOR,
  MUTED_COLOR,
  TEXT_COLOR,
  axisTitle,
  renderPng,
} from "./chart-style.ts";
import type { RunResult, SizeResult, Threshold } from "./result.ts";

export const CHART_WIDTH = 1200;
export const CHART_HEIGHT = 700;

const NA_COLOR = "#b3261e";
/** Outline and tag of a bar that is the traffic generator's ceiling, not the DUT's. */
const GENERATOR_LIMITED_COLOR = "#7a1fa2";
const GENERATOR_LIMITED_TAG = "GEN";
/** Bar colours, primary threshold first: a dark blue, then lighter or contrasting hues. */
const BAR_COLORS = ["#1f4e8c", "#e08a2c", "#5aa469", "#8e5ea2"];
const LINE_RATE_COLOR = "#6b6b6b";

const METRIC_AXIS: Record<Metric, { axis: string; title: string; unit: string }> = {
  Mpps: { axis: "Packet rate (Mpps)", title: "Packet rate", unit: "Mpps" },
  L1Gbps: { axis: "L1 throughput (Gbps)", title: "L1 throughput", unit: "Gbps" },
  L2Gbps: { axis: "L2 throughput (Gbps)", title: "L2 throughput", unit: "Gbps" },
};

/** "NDR (loss ≤ 0.01 %)", "strict (zero loss)": a threshold by its name and what it allows. */
export function thresholdLabel(threshold: Threshold): string {
  const { name, lossPct } = threshold;
  return lossPct === 0 ? `${name} (zero loss)` : `${name} (loss ≤ ${lossPct} %)`;
}

/** Link speed in the units engineers use: 10 Gb/s, 2.5 Gb/s, 100 Mb/s. */
export function formatSpeed(speedBps: number): string {
  if (speedBps >= 1e9) return `${Number((speedBps / 1e9).toPrecision(6))} Gb/s`;
  if (speedBps >= 1e6) return `${Number((speedBps / 1e6).toPrecision(6))} Mb/s`;
  return `${speedBps} b/s`;
}

/** Who was measured: the DUT behind a real TRex server, or the emulator's model. */
export function describeServer(server: RunResult["server"]): string {
  if (server.kind === "emulator") {
    return `emulator, DUT model "${server.dut ?? "default"}"`;
  }
  const dut = server.dut ? `DUT ${server.dut} via ` : "";
  const version = server.version ? ` ${server.version}` : "";
  return `${dut}TRex${version} at ${server.address}`;
}

/** "2025-11-23 08:15 UTC" from an ISO timestamp; the text as is when it does not parse. */
function formatDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** A bar's value label: a few significant digits, enough to tell results apart. */
export function formatValue(value: number, digits = 4): string {
  if (value === 0) return "0";
  if (Math.abs(value) >= 10 ** digits) return value.toFixed(0);
  return Number(value.toPrecision(digits)).toString();
}

interface Annotations {
  /** Sizes (category indices) without a result for any threshold: one centred "N/A". */
  missingSizes: number[];
  /** Single bars without a result where other thresholds have one: [dataset, category]. */
  missingBars: Array<[number, number]>;
  /** Bars whose result is generator-limited: [dataset, category], tagged GENERATOR_LIMITED_TAG. */
  generatorLimitedBars: Array<[number, number]>;
  /** Index of the line-rate dataset, whose markers the value labels must not cover. */
  lineDataset: number;
  /** Dataset indices whose bars carry value labels. */
  labelledDatasets: number[];
  valueFontPx: number;
  valueDigits: number;
}

/** Text with a white halo, so that it stays readable where it crosses the line-rate line. */
function haloText(ctx: Chart["ctx"], text: string, x: number, y: number): void {
  ctx.strokeText(text, x, y);
  ctx.fillText(text, x, y);
}

/** Draws "N/A" on sizes without a result and the value above each bar. */
function annotationPlugin(annotations: Annotations): Plugin<"bar"> {
  return {
    id: "autotrexAnnotations",
    afterDatasetsDraw(chart) {
      const { ctx, chartArea } = chart;
      const xScale = chart.scales.x;
      ctx.save();
      ctx.textAlign = "center";
      ctx.textBaseline = "bottom";
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = 4;
      ctx.lineJoin = "round";
      ctx.font = `${annotations.valueFontPx}px ${FONT_FAMILY}`;
      ctx.fillStyle = TEXT_COLOR;
      const linePoints = chart.getDatasetMeta(annotations.lineDataset).data;
      for (const datasetIndex of annotations.labelledDatasets) {
        const meta = chart.getDatasetMeta(datasetIndex);
        const data = chart.data.datasets[datasetIndex].data;
        meta.data.forEach((bar, i) => {
          const value = data[i];
          if (typeof value !== "number") return;
          let y = bar.y - 3;
          // A bar at (or just under) line rate: lift its label above the line's marker.
          const lineY = linePoints[i]?.y;
          if (lineY !== undefined && lineY <= bar.y + 6 && lineY > bar.y - 20) y = lineY - 7;
          haloText(
            ctx,
            formatValue(value, annotations.valueDigits),
            bar.x,
            Math.max(y, chartArea.top + 12),
          );
        });
      }
      ctx.fillStyle = NA_COLOR;
      ctx.font = `bold 15px ${FONT_FAMILY}`;
      for (const i of annotations.missingSizes) {
        haloText(ctx, NOT_AVAILABLE, xScale.getPixelForValue(i), chartArea.bottom - 6);
      }
      ctx.font = `bold 12px ${FONT_FAMILY}`;
      for (const [datasetIndex, i] of annotations.missingBars) {
        const x = chart.getDatasetMeta(datasetIndex).data[i]?.x ?? xScale.getPixelForValue(i);
        haloText(ctx, NOT_AVAILABLE, x, chartArea.bottom - 6);
      }
      ctx.fillStyle = GENERATOR_LIMITED_COLOR;
      ctx.font = `bold 11px ${FONT_FAMILY}`;
      for (const [datasetIndex, i] of annotations.generatorLimitedBars) {
        const bar = chart.getDatasetMeta(datasetIndex).data[i];
        if (bar) haloText(ctx, GENERATOR_LIMITED_TAG, bar.x, chartArea.bottom - 6);
      }
      ctx.restore();
    },
  };
}

type BarSet = ChartDataset<"bar", Array<number | null>>;
type LineSet = ChartDataset<"line", Array<number | null>>;

/** One bar set per loss threshold; a generator-limited bar gets an outline. */
function barSets(metric: Metric, sizes: SizeResult[], thresholds: Threshold[]): BarSet[] {
  return thresholds.map((t, i) => ({
    type: "bar" as const,
    label: thresholdLabel(t),
    data: sizes.map((s) => {
      const outcome = outcomeFor(s, t.name);
      return outcome ? metricValue(metric, outcome) : null;
    }),
    backgroundColor: BAR_COLORS[i % BAR_COLORS.length],
    borderColor: GENERATOR_LIMITED_COLOR,
    borderWidth: sizes.map((s) => (outcomeFor(s, t.name)?.generatorLimited ? 3 : 0)),
    categoryPercentage: thresholds.length > 1 ? 0.8 : 0.7,
    barPercentage: thresholds.length > 1 ? 0.92 : 0.85,
    order: 2,
  }));
}

function lineRateSet(theoretical: number[], speedBps: number): LineSet {
  return {
    type: "line",
    label: `Line rate (${formatSpeed(speedBps)})`,
    data: theoretical,
    borderColor: LINE_RATE_COLOR,
    backgroundColor: LINE_RATE_COLOR,
    borderWidth: 2,
    borderDash: [7, 5],
    pointRadius: 3.5,
    pointStyle: "circle",
    tension: 0,
    // Drawn over the bars, so a result at line rate shows as a bar touching the line.
    order: 1,
  };
}

/** What the plugin draws over the bars: N/A where results are missing, GEN tags, values. */
function annotationsFor(sizes: SizeResult[], thresholds: Threshold[]): Annotations {
  const missingSizes: number[] = [];
  const missingBars: Array<[number, number]> = [];
  sizes.forEach((s, i) => {
    const absent = thresholds.flatMap((t, d) => (outcomeFor(s, t.name) ? [] : [d]));
    if (absent.length === thresholds.length) missingSizes.push(i);
    else for (const d of absent) missingBars.push([d, i]);
  });
  const generatorLimitedBars = sizes.flatMap((s, i) =>
    thresholds.flatMap((t, d): Array<[number, number]> =>
      outcomeFor(s, t.name)?.generatorLimited ? [[d, i]] : [],
    ),
  );
  return {
    missingSizes,
    missingBars,
    generatorLimitedBars,
    lineDataset: thresholds.length,
    // Value labels only while they fit above their bars: two bar sets get shorter ones.
    labelledDatasets:
      sizes.length <= 16 && thresholds.length <= 2 ? thresholds.map((_, i) => i) : [0],
    valueFontPx: thresholds.length > 1 ? 11 : 12,
    valueDigits: thresholds.length > 1 ? 3 : 4,
  };
}

function subtitleFor(result: RunResult, annotations: Annotations): string {
  return [
    describeServer(result.server),
    `${formatSpeed(result.speedBps)} ports`,
    formatDate(result.startedAt),
    result.parameters.thresholds.map(thresholdLabel).join(", "),
    ...(annotations.generatorLimitedBars.length > 0
      ? [`${GENERATOR_LIMITED_TAG} = generator-limited: the DUT may be faster`]
      : []),
  ].join("  ·  ");
}

/** Legend entries: bars as filled boxes, the line rate as a dashed line, in dataset order. */
function legendLabels(chart: Chart, lineDataset: number) {
  return chart.data.datasets.map((dataset, datasetIndex) => {
    const isLine = datasetIndex === lineDataset;
    const color = isLine ? LINE_RATE_COLOR : BAR_COLORS[datasetIndex % BAR_COLORS.length];
    return {
      text: dataset.label ?? "",
      datasetIndex,
      fillStyle: color,
      strokeStyle: color,
      fontColor: TEXT_COLOR,
      lineWidth: isLine ? 2 : 0,
      lineDash: isLine ? [7, 5] : [],
      pointStyle: isLine ? ("line" as const) : ("rect" as const),
      hidden: false,
    };
  });
}

function scalesFor(axisText: string, maxValue: number) {
  return {
    x: {
      title: axisTitle("Frame size (bytes)"),
      ticks: { color: TEXT_COLOR, font: { family: FONT_FAMILY, size: 14 } },
      grid: { display: false },
      border: { color: "#888888" },
    },
    y: {
      beginAtZero: true,
      // Head room for the value labels above the tallest bar.
      suggestedMax: maxValue > 0 ? maxValue * 1.08 : 1,
      title: axisTitle(axisText),
      ticks: { color: TEXT_COLOR, font: { family: FONT_FAMILY, size: 13 } },
      grid: { color: GRID_COLOR },
      border: { display: false as const },
    },
  };
}

/** The Chart.js configuration of one chart: pure, so it can be inspected without rendering. */
export function chartConfiguration(
  metric: Metric,
  result: RunResult,
): ChartConfiguration<"bar" | "line", Array<number | null>, string> {
  const sizes = sizesAscending(result);
  const axis = METRIC_AXIS[metric];
  const bars = barSets(metric, sizes, result.parameters.thresholds);
  const theoretical = sizes.map((s) => metricValue(metric, s.theoretical));
  const annotations = annotationsFor(sizes, result.parameters.thresholds);
  const maxValue = Math.max(
    0,
    ...theoretical,
    ...bars.flatMap((b) => b.data.filter((v): v is number => typeof v === "number")),
  );
  return {
    type: "bar",
    data: {
      labels: sizes.map((s) => String(s.frameSize)),
      datasets: [...bars, lineRateSet(theoretical, result.speedBps)],
    },
    options: {
      responsive: false,
      animation: false,
      devicePixelRatio: 1,
      layout: { padding: { top: 8, right: 24, bottom: 8, left: 12 } },
      plugins: {
        title: {
          display: true,
          text: `${axis.title} per frame size — ${result.profile.name}`,
          color: TEXT_COLOR,
          font: { family: FONT_FAMILY, size: 22, weight: "bold" },
          padding: { top: 6, bottom: 4 },
        },
        subtitle: {
          display: true,
          text: subtitleFor(result, annotations),
          color: MUTED_COLOR,
          font: { family: FONT_FAMILY, size: 14 },
          padding: { bottom: 10 },
        },
        legend: {
          display: true,
          position: "top",
          align: "end",
          labels: {
            color: TEXT_COLOR,
            font: { family: FONT_FAMILY, size: 14 },
            usePointStyle: true,
            pointStyleWidth: 30,
            boxHeight: 12,
            padding: 16,
            generateLabels: (chart) => legendLabels(chart, bars.length),
          },
        },
        tooltip: { enabled: false },
      },
      scales: scalesFor(axis.axis, maxValue),
    },
    plugins: [annotationPlugin(annotations) as Plugin<"bar" | "line">],
  };
}

/** Renders one chart of a result as a PNG. */
export function renderChart(metric: Metric, result: RunResult): Buffer {
  return renderPng(chartConfiguration(metric, result), CHART_WIDTH, CHART_HEIGHT);
}
