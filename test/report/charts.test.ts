import { createCanvas, loadImage } from "@napi-rs/canvas";
import { describe, expect, it } from "vitest";
import {
  CHART_HEIGHT,
  CHART_WIDTH,
  chartConfiguration,
  describeServer,
  formatSpeed,
  formatValue,
  renderChart,
  thresholdLabel,
} from "../../src/report/charts.ts";
import { METRICS } from "../../src/report/csv.ts";
import { sweepResult, SWEEP } from "./fixtures.ts";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from the IHDR chunk, which must be the first chunk of a PNG. */
function ihdr(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  expect(png.readUInt32BE(8)).toBe(13);
  expect(png.subarray(12, 16).toString("ascii")).toBe("IHDR");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

async function pixels(png: Buffer): Promise<Uint8ClampedArray> {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(image, 0, 0);
  return ctx.getImageData(0, 0, image.width, image.height).data;
}

/** Pixels close to a colour: how "N/A" (dark red) and the bars are found in a chart. */
function countColour(data: Uint8ClampedArray, [r, g, b]: [number, number, number]): number {
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 30) n++;
  }
  return n;
}

/** Bar pixels (primary threshold's blue) in each column of the image. */
function blueByColumn(data: Uint8ClampedArray): number[] {
  const counts = new Array<number>(CHART_WIDTH).fill(0);
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
    if (Math.abs(r - 0x1f) + Math.abs(g - 0x4e) + Math.abs(b - 0x8c) < 30)
      counts[(i / 4) % CHART_WIDTH]++;
  }
  return counts;
}

const NA_RED: [number, number, number] = [0xb3, 0x26, 0x1e];
const NDR_BLUE: [number, number, number] = [0x1f, 0x4e, 0x8c];
const PDR_ORANGE: [number, number, number] = [0xe0, 0x8a, 0x2c];

const cases = [
  { name: "1 threshold, all sizes measured", thresholds: [0.01], naSizes: [] as number[] },
  { name: "1 threshold, N/A at 64 and 128 B", thresholds: [0.01], naSizes: [64, 128] },
  { name: "2 thresholds, all sizes measured", thresholds: [0.01, 0.5], naSizes: [] },
  { name: "2 thresholds, N/A at 64 B", thresholds: [0.01, 0.5], naSizes: [64] },
];

describe("renderChart", () => {
  for (const c of cases) {
    for (const metric of METRICS) {
      it(`${metric}.png, ${c.name}: a ${CHART_WIDTH}×${CHART_HEIGHT} PNG on white`, async () => {
        const png = renderChart(metric, sweepResult(c));
        expect(ihdr(png)).toEqual({ width: CHART_WIDTH, height: CHART_HEIGHT });
        const data = await pixels(png);
        // Opaque white background, not transparent.
        expect(Array.from(data.subarray(0, 4))).toEqual([255, 255, 255, 255]);
        expect(countColour(data, NDR_BLUE)).toBeGreaterThan(1000);
        expect(countColour(data, PDR_ORANGE) > 1000).toBe(c.thresholds.length > 1);
        // "N/A" is the only thing drawn in dark red.
        expect(countColour(data, NA_RED) > 20).toBe(c.naSizes.length > 0);
      });
    }
  }

  it("draws N/A on a single bar when only the secondary threshold has no result", async () => {
    const result = sweepResult({ thresholds: [0.01, 0.5] });
    result.sizes[3].results = result.sizes[3].results.slice(0, 1);
    const data = await pixels(renderChart("Mpps", result));
    expect(countColour(data, NA_RED)).toBeGreaterThan(20);
  });

  it("draws the measured values: halving one size's result shortens its bar in the pixels", async () => {
    const full = sweepResult();
    const halved = sweepResult();
    const at = halved.sizes.findIndex((s) => s.frameSize === 1518);
    const r = halved.sizes[at].results[0];
    halved.sizes[at].results[0] = {
      ...r,
      ratePps: r.ratePps / 2,
      l1Bps: r.l1Bps / 2,
      l2Bps: r.l2Bps / 2,
    };
    const [a, b] = [renderChart("L1Gbps", full), renderChart("L1Gbps", halved)];
    expect(a.equals(b)).toBe(false);
    const [pa, pb] = [await pixels(a), await pixels(b)];
    // Only the 1518 B bar changed (7th of 11 categories), and it is about half as tall.
    const [ca, cb] = [blueByColumn(pa), blueByColumn(pb)];
    const changed = ca.flatMap((n, x) => (n !== cb[x] ? [x] : []));
    expect(changed.length).toBeGreaterThan(20);
    const category = (x: number) => Math.floor(((x - 100) / (CHART_WIDTH - 130)) * SWEEP.length);
    expect(new Set(changed.map(category))).toEqual(new Set([SWEEP.indexOf(1518)]));
    const heightRatio = changed.reduce((sum, x) => sum + cb[x] / ca[x], 0) / changed.length;
    expect(heightRatio).toBeGreaterThan(0.4);
    expect(heightRatio).toBeLessThan(0.6);
    // The same result twice gives the same pixels.
    expect(
      Buffer.from(await pixels(renderChart("L1Gbps", sweepResult()))).equals(Buffer.from(pa)),
    ).toBe(true);
  });

  it("marks a generator-limited bar with a purple outline and a GEN tag, and says so", async () => {
    const plain = sweepResult();
    const limited = sweepResult();
    const at = limited.sizes.findIndex((s) => s.frameSize === 64);
    limited.sizes[at].results[0] = { ...limited.sizes[at].results[0], generatorLimited: true };
    const purple: [number, number, number] = [0x7a, 0x1f, 0xa2];
    expect(countColour(await pixels(renderChart("Mpps", plain)), purple)).toBe(0);
    expect(countColour(await pixels(renderChart("Mpps", limited)), purple)).toBeGreaterThan(100);
    const subtitle = JSON.stringify(chartConfiguration("Mpps", limited).options?.plugins?.subtitle);
    expect(subtitle).toContain("GEN = generator-limited");
  });

  it("renders a run with every size N/A (nothing to scale the bars by)", () => {
    const png = renderChart("L1Gbps", sweepResult({ naSizes: SWEEP }));
    expect(ihdr(png)).toEqual({ width: CHART_WIDTH, height: CHART_HEIGHT });
  });
});

describe("chartConfiguration", () => {
  it("titles the chart with profile, DUT/server, date, speed and thresholds", () => {
    const config = chartConfiguration("Mpps", sweepResult({ thresholds: [0.01, 0.5] }));
    const plugins = config.options?.plugins;
    expect(plugins?.title?.text).toBe("Packet rate per frame size — tcp_1pkt");
    const subtitle = String(plugins?.subtitle?.text);
    for (const part of [
      'emulator, DUT model "default"',
      "10 Gb/s ports",
      "2025-11-23 08:15 UTC",
      "NDR (loss ≤ 0.01 %)",
      "PDR (loss ≤ 0.5 %)",
    ]) {
      expect(subtitle).toContain(part);
    }
  });

  it("labels the axes with units", () => {
    const axisTitles = (metric: (typeof METRICS)[number]) => {
      const scales = chartConfiguration(metric, sweepResult()).options?.scales as Record<
        string,
        { title?: { text?: string } }
      >;
      return [scales.x.title?.text, scales.y.title?.text];
    };
    expect(axisTitles("Mpps")).toEqual(["Frame size (bytes)", "Packet rate (Mpps)"]);
    expect(axisTitles("L1Gbps")).toEqual(["Frame size (bytes)", "L1 throughput (Gbps)"]);
    expect(axisTitles("L2Gbps")).toEqual(["Frame size (bytes)", "L2 throughput (Gbps)"]);
  });

  it("has a bar set per threshold and the line rate as a line, sizes ascending", () => {
    const result = sweepResult({ thresholds: [0.01, 0.5], naSizes: [64] });
    result.sizes.reverse();
    const { data } = chartConfiguration("L1Gbps", result);
    expect(data.labels).toEqual(SWEEP.map(String));
    expect(data.datasets.map((d) => [d.type, d.label])).toEqual([
      ["bar", "NDR (loss ≤ 0.01 %)"],
      ["bar", "PDR (loss ≤ 0.5 %)"],
      ["line", "Line rate (10 Gb/s)"],
    ]);
    expect(data.datasets[0].data[0]).toBeNull();
    expect(data.datasets[0].data.at(-1)).toBeCloseTo(10, 9);
    for (const v of data.datasets[2].data) expect(v).toBeCloseTo(10, 9);
  });
});

describe("chart text helpers", () => {
  it("formats thresholds, speeds, servers and values", () => {
    expect(thresholdLabel({ name: "NDR", lossPct: 0.01 })).toBe("NDR (loss ≤ 0.01 %)");
    expect(thresholdLabel({ name: "strict", lossPct: 0 })).toBe("strict (zero loss)");
    expect(thresholdLabel({ name: "PDR", lossPct: 0.5 })).toBe("PDR (loss ≤ 0.5 %)");
    expect(formatSpeed(10e9)).toBe("10 Gb/s");
    expect(formatSpeed(2.5e9)).toBe("2.5 Gb/s");
    expect(formatSpeed(100e6)).toBe("100 Mb/s");
    expect(describeServer({ address: "tcp://10.0.0.2:4501", kind: "trex", version: "v3.06" })).toBe(
      "TRex v3.06 at tcp://10.0.0.2:4501",
    );
    expect(formatValue(14.880952380952381)).toBe("14.88");
    expect(formatValue(0.812743823146944)).toBe("0.8127");
    expect(formatValue(10.000000000000002)).toBe("10");
    expect(formatValue(0.812743823146944, 3)).toBe("0.813");
  });
});
