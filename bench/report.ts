/**
 * Cost of the run directory's writes: what the runner pays after each trial (trials.csv) and
 * after each frame size (result.json, 4 CSVs, 3 charts), for the original 11-size sweep with one
 * and with two loss thresholds. Writes the table to bench/REPORT.md, section "report".
 *
 * Run: npx tsx bench/report.ts [--no-write]
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { l1Bps, l2Bps, lineRatePps, DEFAULT_FRAME_SIZES } from "../src/rate/line-rate.ts";
import { renderChart } from "../src/report/charts.ts";
import { RESULT_SCHEMA_VERSION, type RunResult, type SizeResult } from "../src/report/result.ts";
import { RunDirectory } from "../src/report/run-directory.ts";
import type { TrialRecord } from "../src/search/types.ts";

const REPORT = fileURLToPath(new URL("./REPORT.md", import.meta.url));
const SPEED_BPS = 10e9;
const TRIALS_PER_SIZE = 8;

function measuredSize(frameSize: number, thresholds: number[]): SizeResult {
  const line = lineRatePps(SPEED_BPS, frameSize);
  const theoretical = {
    ratePps: line,
    l1Bps: l1Bps(line, frameSize),
    l2Bps: l2Bps(line, frameSize),
  };
  const results = thresholds.map((t, i) => {
    const ratePps = Math.min(line, 1.2e6 * (1 + 0.05 * i));
    return {
      lossThresholdPct: t,
      ratePps,
      l1Bps: l1Bps(ratePps, frameSize),
      l2Bps: l2Bps(ratePps, frameSize),
      lossRatio: 0,
      lineRateLimited: ratePps === line,
    };
  });
  return { frameSize, status: "ok", theoretical, results, trialCount: 8, trialSeconds: 240 };
}

function emptyResult(thresholds: number[]): RunResult {
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    tool: { name: "autotrex", version: "bench" },
    profile: { name: "tcp_1pkt", description: "" },
    server: { address: "tcp://127.0.0.1:4501", kind: "emulator", version: "bench", dut: "default" },
    speedBps: SPEED_BPS,
    lossThresholdsPct: thresholds,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    status: "running",
    parameters: {
      profilePath: "profiles/tcp_1pkt.ts",
      sizes: [...DEFAULT_FRAME_SIZES],
      durationS: 30,
      lossThresholdsPct: thresholds,
      encapOverhead: 0,
      txPort: 0,
      rxPort: 1,
      bidirectional: false,
      latencyPps: null,
      search: "bisection",
      server: null,
      emulate: { dut: "default", timeScale: 0, seed: 1 },
    },
    sizes: [],
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const max = (xs: number[]): number => Math.max(...xs);
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const ms = (x: number): string => x.toFixed(1);

interface Sweep {
  label: string;
  sizeWrites: number[];
  trialWrites: number[];
  totalMs: number;
}

async function sweep(thresholds: number[]): Promise<Sweep> {
  const out = mkdtempSync(join(tmpdir(), "autotrex-bench-report-"));
  const t0 = performance.now();
  const dir = await RunDirectory.create(out);
  const result = emptyResult(thresholds);
  dir.writeResult(result);
  const sizeWrites: number[] = [];
  const trialWrites: number[] = [];
  for (const frameSize of DEFAULT_FRAME_SIZES) {
    for (let i = 0; i < TRIALS_PER_SIZE; i++) {
      const trial: TrialRecord = {
        index: i,
        ratePps: 1e6,
        durationS: 30,
        txPackets: 30_000_000,
        rxPackets: 29_999_000,
        lossRatio: 1 / 30_000,
        valid: true,
        passed: thresholds.map((_, k) => k > 0),
      };
      const t = performance.now();
      dir.appendTrial(frameSize, trial, new Date());
      trialWrites.push(performance.now() - t);
    }
    result.sizes.push(measuredSize(frameSize, thresholds));
    const t = performance.now();
    dir.writeResult(result);
    sizeWrites.push(performance.now() - t);
  }
  result.status = "complete";
  result.finishedAt = new Date().toISOString();
  dir.writeResult(result);
  const totalMs = performance.now() - t0;
  rmSync(out, { recursive: true, force: true });
  return { label: thresholds.join(" % + ") + " %", sizeWrites, trialWrites, totalMs };
}

function writeSection(markdown: string): void {
  const heading = "## report";
  const old = existsSync(REPORT) ? readFileSync(REPORT, "utf8") : "# Bench report\n";
  const start = old.indexOf(`${heading}\n`);
  let next: string;
  if (start < 0) {
    next = `${old.trimEnd()}\n\n${markdown}`;
  } else {
    const after = old.indexOf("\n## ", start + heading.length);
    next = old.slice(0, start) + markdown + (after < 0 ? "" : old.slice(after + 1));
  }
  writeFileSync(REPORT, next.endsWith("\n") ? next : `${next}\n`);
}

async function main(): Promise<void> {
  // Cold: the first chart of a process loads Chart.js and the fonts.
  const sample = emptyResult([0.01]);
  sample.sizes = DEFAULT_FRAME_SIZES.map((s) => measuredSize(s, [0.01]));
  let t = performance.now();
  renderChart("Mpps", sample);
  const coldMs = performance.now() - t;
  const warm: number[] = [];
  for (let i = 0; i < 15; i++) {
    t = performance.now();
    renderChart(i % 3 === 0 ? "Mpps" : i % 3 === 1 ? "L1Gbps" : "L2Gbps", sample);
    warm.push(performance.now() - t);
  }
  const sweeps = [await sweep([0.01]), await sweep([0.01, 0.5])];

  const lines = [
    "## report",
    "",
    `Generated by \`npx tsx bench/report.ts\` (${new Date().toISOString().slice(0, 10)}, ${process.platform} ${process.arch}, Node ${process.version}). ` +
      `Chart size 1200×700. A sweep is the original 11 frame sizes with ${TRIALS_PER_SIZE} trials each: ` +
      "per size one writeResult (result.json, Mpps/L1Gbps/L2Gbps/summary CSVs, 3 PNGs), per trial one appendTrial (trials.csv rewritten atomically).",
    "",
    `Chart render: first of the process ${ms(coldMs)} ms (loads Chart.js and fonts), then median ${ms(median(warm))} ms, max ${ms(max(warm))} ms.`,
    "",
    "| thresholds | writeResult per size: median | max | appendTrial: median | max | report work per sweep |",
    "|---|---:|---:|---:|---:|---:|",
    ...sweeps.map(
      (s) =>
        `| ${s.label} | ${ms(median(s.sizeWrites))} ms | ${ms(max(s.sizeWrites))} ms | ${ms(median(s.trialWrites))} ms | ${ms(max(s.trialWrites))} ms | ${ms(s.totalMs)} ms (writes ${ms(sum(s.sizeWrites) + sum(s.trialWrites))} ms) |`,
    ),
    "",
  ];
  const markdown = lines.join("\n");
  console.log(markdown);
  if (!process.argv.includes("--no-write")) writeSection(markdown);
}

await main();
