/** Crafted results with known figures for the report tests (10 Gb/s ports). */
import { l1Bps, l2Bps, lineRatePps } from "../../src/rate/line-rate.ts";
import {
  RESULT_SCHEMA_VERSION,
  type RunResult,
  type SizeResult,
  type Threshold,
  type ThresholdOutcome,
} from "../../src/report/result.ts";
import { nameByLoss } from "../../src/search/thresholds.ts";

export const SPEED_BPS = 10e9;

/** Thresholds given as names, or as percentages named as `--loss-threshold 0.01,0.5` names them. */
export function thresholdsOf(list: ReadonlyArray<number | Threshold>): Threshold[] {
  return list.every((t) => typeof t === "number")
    ? nameByLoss(list as number[])
    : (list as Threshold[]).map((t) => ({ ...t }));
}

/** A result for the threshold of that name; 0.01 and 0.5 stand for the defaults NDR and PDR. */
export function outcome(
  frameSize: number,
  threshold: string | 0.01 | 0.5,
  ratePps: number,
  extra: Partial<ThresholdOutcome> = {},
): ThresholdOutcome {
  return {
    threshold: threshold === 0.01 ? "NDR" : threshold === 0.5 ? "PDR" : threshold,
    ratePps,
    l1Bps: l1Bps(ratePps, frameSize),
    l2Bps: l2Bps(ratePps, frameSize),
    lossRatio: 0,
    lineRateLimited: false,
    ...extra,
  };
}

export function size(
  frameSize: number,
  results: ThresholdOutcome[],
  extra: Partial<SizeResult> = {},
): SizeResult {
  const ratePps = lineRatePps(SPEED_BPS, frameSize);
  return {
    frameSize,
    status: results.length > 0 ? "ok" : "failed",
    theoretical: { ratePps, l1Bps: l1Bps(ratePps, frameSize), l2Bps: l2Bps(ratePps, frameSize) },
    results,
    trialCount: 8,
    trialSeconds: 240,
    ...extra,
  };
}

export function runResult(
  sizes: SizeResult[],
  thresholdList: ReadonlyArray<number | Threshold> = [0.01],
): RunResult {
  const thresholds = thresholdsOf(thresholdList);
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    tool: { name: "autotrex", version: "0.1.0" },
    profile: { name: "tcp_1pkt", description: "one TCP packet, IPv4" },
    server: { address: "tcp://127.0.0.1:4501", kind: "emulator", version: "v3.06", dut: "default" },
    speedBps: SPEED_BPS,
    startedAt: "2025-11-23T08:15:42.123Z",
    finishedAt: "2025-11-23T08:16:03.456Z",
    status: "complete",
    parameters: {
      profilePath: "/work/main/profiles/tcp_1pkt.ts",
      sizes: sizes.map((s) => s.frameSize),
      durationS: 30,
      thresholds,
      encapOverhead: 0,
      txPort: 0,
      rxPort: 1,
      bidirectional: false,
      latencyPps: null,
      search: "bisection",
      server: null,
      emulate: { dut: "default", timeScale: 0, seed: 1 },
    },
    sizes,
  };
}

/** A DUT that forwards ~1.2 Mpps: line rate from 1024 B up, 64 B found no rate. */
export const SWEEP = [64, 128, 256, 512, 1024, 1280, 1518, 2048, 4096, 8192, 9216];

export function sweepResult(
  opts: { thresholds?: ReadonlyArray<number | Threshold>; naSizes?: number[] } = {},
): RunResult {
  const thresholds = thresholdsOf(opts.thresholds ?? [0.01]);
  const naSizes = new Set(opts.naSizes ?? []);
  const capacityPps = 1.2e6;
  const sizes = SWEEP.map((frameSize) => {
    if (naSizes.has(frameSize)) {
      return size(frameSize, [], {
        status: "n/a",
        reason: "headers do not fit",
        trialCount: 0,
        trialSeconds: 0,
      });
    }
    const line = lineRatePps(SPEED_BPS, frameSize);
    const results = thresholds.map((t, i) => {
      const rate = Math.min(line, capacityPps * (1 + 0.08 * i));
      return outcome(frameSize, t.name, rate, {
        lineRateLimited: rate === line,
        lossRatio: i * 0.001,
      });
    });
    return size(frameSize, results);
  });
  return runResult(sizes, thresholds);
}

/** The same run as a version 1 autotrex wrote it: percentages at the top level and per result. */
export function asVersion1(result: RunResult): Record<string, unknown> {
  const json = structuredClone(result) as unknown as Record<string, unknown>;
  const pctOf = new Map(result.parameters.thresholds.map((t) => [t.name, t.lossPct]));
  const losses = result.parameters.thresholds.map((t) => t.lossPct);
  const parameters = json.parameters as Record<string, unknown>;
  delete parameters.thresholds;
  parameters.lossThresholdsPct = losses;
  for (const size of json.sizes as Array<{ results: Array<Record<string, unknown>> }>) {
    for (const r of size.results) {
      r.lossThresholdPct = pctOf.get(r.threshold as string);
      delete r.threshold;
    }
  }
  return { ...json, schemaVersion: 1, lossThresholdsPct: losses };
}
