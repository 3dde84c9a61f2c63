/**
 * The look shared by every chart autotrex draws (results and trend), so they read as one set,
 * and the one place they are rendered to PNG.
 */
import { createCanvas } from "@napi-rs/canvas";
import {
  Chart,
  registerables,
  type ChartConfiguration,
  type ChartType,
  type Plugin,
} from "chart.js";

export const FONT_FAMILY = "'DejaVu Sans', 'Helvetica Neue', Helvetica, Arial, sans-serif";
export const TEXT_COLOR = "#222222";
export const MUTED_COLOR = "#555555";
export const GRID_COLOR = "#e3e3e3";

/** An axis title in the shared style. */
export function axisTitle(text: string): {
  display: true;
  text: string;
  color: string;
  font: { family: string; size: number };
} {
  return { display: true, text, color: TEXT_COLOR, font: { family: FONT_FAMILY, size: 16 } };
}

/** Every chart is drawn on this, so that it can be pasted into a report as is. */
export const BACKGROUND_COLOR = "#ffffff";

/** Paints the background under everything Chart.js draws (its canvas starts transparent). */
const backgroundPlugin: Plugin = {
  id: "autotrexBackground",
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.globalCompositeOperation = "destination-over";
    ctx.fillStyle = BACKGROUND_COLOR;
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

let chartClass: typeof Chart | undefined;

/** Chart.js with every chart type, scale and plugin registered, once per process. */
function chartJs(): typeof Chart {
  if (!chartClass) {
    Chart.register(...registerables);
    chartClass = Chart;
  }
  return chartClass;
}

/**
 * Renders a Chart.js configuration as a PNG on an @napi-rs/canvas canvas (prebuilt Skia, no
 * DOM): not responsive, not animated and at one device pixel per pixel, so the image is
 * exactly `widthPx` × `heightPx` and complete when the constructor returns.
 */
export function renderPng(
  config: ChartConfiguration<ChartType, unknown[], unknown>,
  widthPx: number,
  heightPx: number,
): Buffer {
  const canvas = createCanvas(widthPx, heightPx);
  const ChartJs = chartJs();
  const chart = new ChartJs(canvas as unknown as ConstructorParameters<typeof Chart>[0], {
    ...config,
    options: { ...config.options, responsive: false, animation: false, devicePixelRatio: 1 },
    plugins: [backgroundPlugin, ...(config.plugins ?? [])],
  });
  try {
    return canvas.toBuffer("image/png");
  } finally {
    chart.destroy();
  }
}
