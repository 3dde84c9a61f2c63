/**
 * Search cost and accuracy against the DUT model, in process: mlr vs the original bisection at
 * the 11 original frame sizes, presets `default` (one run) and `noisy` (seeds 1..20), final
 * trial duration 30 s. Writes the table to bench/REPORT.md, section "search".
 *
 * Run: npx tsx bench/search.ts [--no-write] [--trace <preset>:<seed>:<size>]
 * (--trace prints one mlr search trial by trial; MLR_OPTS='{"noiseStandardError":0.0035}' tries options.)
 *
 * Ground truth per threshold T: G_T(S) = min(L(S), C(S) / (1 - T)) (see groundTruthPps);
 * for NDR (0.01 %) that is C(S) within 0.01 %. Errors are signed relative errors of the
 * reported rate; "worst" is the largest magnitude. Each (seed, size) gets its own model seed.
 */
import { DUT_PRESETS, DutModel, capacityPps } from "../src/emulator/dut-model.ts";
import type { DutPresetName } from "../src/emulator/dut-model.ts";
import { DEFAULT_FRAME_SIZES, lineRatePps } from "../src/rate/line-rate.ts";
import { bisection } from "../src/search/bisection.ts";
import { groundTruthPps, modelTrialFn, relativeError } from "./support/model-check.ts";
import { createMlrSearch, mlrSearch } from "../src/search/mlr.ts";
import type { SearchAlgorithm, SearchResult } from "../src/search/types.ts";
import { writeReportSection } from "./report-file.ts";

const FINAL_DURATION_S = 30;
const NDR_PCT = 0.01;
const PDR_PCT = 0.5;
const NOISY_SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);
/** Seeds never run while the search was tuned (tuning looked at seeds 1-300 and 1001-1200). */
const FRESH_SEEDS = Array.from({ length: 200 }, (_, i) => i + 5001);

interface Case {
  label: string;
  algorithm: SearchAlgorithm;
  thresholdsPct: number[];
}

const CASES: Case[] = [
  { label: "bisection (original, NDR only)", algorithm: bisection, thresholdsPct: [NDR_PCT] },
  { label: "bisection, NDR + PDR", algorithm: bisection, thresholdsPct: [NDR_PCT, PDR_PCT] },
  { label: "mlr, NDR + PDR", algorithm: mlrSearch, thresholdsPct: [NDR_PCT, PDR_PCT] },
];

function modelSeed(seed: number, frameSize: number): number {
  return (seed * 65537 + frameSize) >>> 0;
}

async function searchOne(
  c: Case,
  preset: DutPresetName,
  seed: number,
  frameSize: number,
): Promise<SearchResult> {
  const params = DUT_PRESETS[preset];
  const model = new DutModel(params, modelSeed(seed, frameSize));
  return c.algorithm.search(
    {
      lineRatePps: lineRatePps(params.speedGbps * 1e9, frameSize),
      lossThresholdsPct: c.thresholdsPct,
      finalDurationS: FINAL_DURATION_S,
    },
    modelTrialFn(model, frameSize),
  );
}

interface Summary {
  preset: DutPresetName;
  label: string;
  runs: number;
  meanTrialS: number;
  maxTrialS: number;
  worstNdr: number | null;
  worstPdr: number | null;
  na: number;
  maxTrials: number;
  /** Searches whose NDR missed G_T(S) by more than 1 %. */
  ndrOver1Pct: number;
}

function worse(a: number | null, b: number | null): number | null {
  if (b === null) return a;
  if (a === null) return b;
  return Math.abs(b) > Math.abs(a) ? b : a;
}

async function sweep(
  c: Case,
  preset: DutPresetName,
  seeds: number[],
  perSize?: Map<number, { ndr: number | null; pdr: number | null; trialS: number }>,
): Promise<Summary> {
  const params = DUT_PRESETS[preset];
  const totals: number[] = [];
  let worstNdr: number | null = null;
  let worstPdr: number | null = null;
  let na = 0;
  let maxTrials = 0;
  let ndrOver1Pct = 0;
  for (const seed of seeds) {
    let total = 0;
    for (const size of DEFAULT_FRAME_SIZES) {
      const r = await searchOne(c, preset, seed, size);
      total += r.trialSeconds;
      maxTrials = Math.max(maxTrials, r.trials.length);
      let ndr: number | null = null;
      let pdr: number | null = null;
      r.results.forEach((res, i) => {
        const t = c.thresholdsPct[i];
        const err = relativeError(res.ratePps, groundTruthPps(params, size, t));
        if (res.ratePps === null) na++;
        if (t === NDR_PCT) ndr = err;
        if (t === PDR_PCT) pdr = err;
      });
      worstNdr = worse(worstNdr, ndr);
      if (ndr !== null && Math.abs(ndr) > 0.01) ndrOver1Pct++;
      worstPdr = worse(worstPdr, pdr);
      perSize?.set(size, { ndr, pdr, trialS: r.trialSeconds });
    }
    totals.push(total);
  }
  return {
    preset,
    label: c.label,
    runs: seeds.length,
    meanTrialS: totals.reduce((s, x) => s + x, 0) / totals.length,
    maxTrialS: Math.max(...totals),
    worstNdr,
    worstPdr,
    na,
    maxTrials,
    ndrOver1Pct,
  };
}

const pct = (x: number | null): string =>
  x === null ? "—" : `${x >= 0 ? "+" : ""}${(x * 100).toFixed(3)} %`;

async function trace(spec: string): Promise<void> {
  const [preset, seed, size] = spec.split(":");
  const c = process.env.MLR_OPTS
    ? { ...CASES[2], algorithm: createMlrSearch(JSON.parse(process.env.MLR_OPTS)) }
    : CASES[2];
  const r = await searchOne(c, preset as DutPresetName, Number(seed), Number(size));
  const params = DUT_PRESETS[preset as DutPresetName];
  const cap = capacityPps(params, Number(size));
  for (const t of r.trials) {
    console.log(
      `#${t.index} ${(t.ratePps / cap).toFixed(5)} C  ${t.durationS} s  loss ${t.lossRatio.toExponential(2)}  ${t.passed.map((p) => (p ? "ok" : "ng")).join(" ")}`,
    );
  }
  for (const res of r.results) {
    console.log(
      `T=${res.lossThresholdPct} %: ${res.ratePps === null ? "N/A" : (res.ratePps / cap).toFixed(5) + " C"} trials ${res.trialIndices.join(",")}${res.lineRateLimited ? " line-rate" : ""}`,
    );
  }
  console.log(`trial-s ${r.trialSeconds}${r.stopReason ? ` stopped: ${r.stopReason}` : ""}`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const traceAt = args.indexOf("--trace");
  if (traceAt >= 0) return trace(args[traceAt + 1]);
  const started = Date.now();
  const summaries: Summary[] = [];
  const detail = new Map<
    string,
    Map<number, { ndr: number | null; pdr: number | null; trialS: number }>
  >();
  for (const preset of ["default", "noisy"] as const) {
    for (const c of CASES) {
      const perSize = new Map<number, { ndr: number | null; pdr: number | null; trialS: number }>();
      summaries.push(await sweep(c, preset, preset === "default" ? [1] : NOISY_SEEDS, perSize));
      if (preset === "default") detail.set(c.label, perSize);
    }
  }
  const fresh = await sweep(CASES[2], "noisy", FRESH_SEEDS);
  const baseline = (preset: DutPresetName): number =>
    summaries.find((s) => s.preset === preset && s.label === CASES[0].label)!.meanTrialS;
  const lines: string[] = [
    "## search",
    "",
    `Generated by \`npx tsx bench/search.ts\` (${new Date().toISOString().slice(0, 10)}). DUT model in process, ` +
      `11 frame sizes (${DEFAULT_FRAME_SIZES.join(", ")} B), final trial duration ${FINAL_DURATION_S} s, ` +
      `\`default\` once, \`noisy\` with seeds 1–20. Trial-seconds are per sweep of the 11 sizes ` +
      "(mean and max over seeds); the ratio is against the original bisection (NDR only, 8 trials × 30 s per size). " +
      "Errors are signed, relative to G_T(S) = min(L(S), C(S) / (1 − T)): C(S) within 0.01 % for NDR, " +
      'C(S) / 0.995 (capped at line rate) for PDR; "worst" is the largest magnitude over all sizes and seeds.',
    "",
    "| preset | search | trial-s / sweep (mean) | max | × original | worst NDR error | worst PDR error | N/A | max trials / size |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const s of summaries) {
    lines.push(
      `| ${s.preset} | ${s.label} | ${s.meanTrialS.toFixed(1)} | ${s.maxTrialS.toFixed(1)} | ${(s.meanTrialS / baseline(s.preset)).toFixed(3)} | ${pct(s.worstNdr)} | ${pct(s.worstPdr)} | ${s.na} | ${s.maxTrials} |`,
    );
  }
  lines.push("", "Per size on `default` (NDR error / PDR error / trial-s):", "");
  lines.push(
    "| frame size | C(S) pps | line-limited | " + CASES.map((c) => c.label).join(" | ") + " |",
  );
  lines.push("|---:|---:|:---:|" + CASES.map(() => "---|").join(""));
  for (const size of DEFAULT_FRAME_SIZES) {
    const cap = capacityPps(DUT_PRESETS.default, size);
    const limited = cap >= lineRatePps(10e9, size) ? "yes" : "no";
    const cells = CASES.map((c) => {
      const d = detail.get(c.label)!.get(size)!;
      return `${pct(d.ndr)} / ${pct(d.pdr)} / ${d.trialS.toFixed(1)}`;
    });
    lines.push(`| ${size} | ${cap.toFixed(0)} | ${limited} | ${cells.join(" | ")} |`);
  }
  const mlr = (preset: DutPresetName): Summary =>
    summaries.find((s) => s.preset === preset && s.label === CASES[2].label)!;
  lines.push("", "Targets (mlr, NDR + PDR at 0.5 % width, against the original bisection):", "");
  for (const [preset, errorTarget] of [
    ["default", 0.005],
    ["noisy", 0.01],
  ] as const) {
    const m = mlr(preset);
    const ratio = m.meanTrialS / baseline(preset);
    const err = Math.abs(m.worstNdr ?? Infinity);
    const verdict = (ok: boolean, by: string): string => (ok ? "met" : `missed by ${by}`);
    lines.push(
      `- ${preset}: trial-seconds ${ratio.toFixed(3)} × original (target ≤ 0.35: ${verdict(ratio <= 0.35, `${(ratio - 0.35).toFixed(3)}`)}); ` +
        `worst NDR error ${(err * 100).toFixed(2)} % (target ≤ ${errorTarget * 100} %: ${verdict(err <= errorTarget, `${((err - errorTarget) * 100).toFixed(2)} points`)}).`,
    );
  }
  lines.push(
    "",
    `Out of sample: mlr on \`noisy\` seeds 5001–5200 (${fresh.runs * DEFAULT_FRAME_SIZES.length} searches; tuning looked only at seeds 1–300 and 1001–1200): ` +
      `${(fresh.meanTrialS / baseline("noisy")).toFixed(3)} × the original's trial-seconds (seeds 1–20 bisection), ` +
      `worst NDR error ${pct(fresh.worstNdr)}, ${fresh.ndrOver1Pct} searches beyond 1 %, ${fresh.na} N/A.`,
    "",
    "Why `noisy` costs more than `default`: its capacity is drawn once per trial (σ = 1 % of C(S), line-limited " +
      "sizes included, so even line rate fails about half the trials there). Near C(S) one trial is a coin toss, " +
      "and per-load MLRsearch classification lands wherever a few tosses fell: 1.36 % worst error at 0.43 × " +
      "(the previous version of this search). mlr therefore checks the DUT for noise (equal trials that forwarded " +
      "at different rates, a pass above a failure, overloaded trials that agree neither on the rate nor on the " +
      "share they forwarded) and, on a noisy DUT, takes the result from the forwarding rates of many trials: each " +
      "overloaded trial of the last coarse duration (5.5 s) measures one draw of the capacity; draws are added " +
      "until the median's standard error is goal width / 2 = 0.25 % (about 25 draws at σ = 1 %, never fewer than " +
      "12), and a 30 s trial must then meet the goal at that load or above. That is what the trial-seconds buy. " +
      "The 0.35 × target cannot be had with this accuracy: it leaves 82 s per size, and at the median a 30 s " +
      "confirming trial passes only half the time, so the 30 s trials alone average 2.8 per size (83 s), before " +
      "any sample. Fewer samples trade accuracy for time: `noiseStandardError: 0.0035` ran at 0.54 × with a " +
      "standard deviation of the NDR error of 0.22 % instead of 0.19 % and one search 1.08 % off (seeds 1–100). " +
      "A mildly noisy DUT (σ = 0.1 %) also takes the forwarding estimate, at its minimum of 12 samples: 0.47 × " +
      "instead of 0.31 ×, for an NDR error spread of 0.08 % instead of 0.18 % (seeds 1–30).",
  );
  const markdown = lines.join("\n") + "\n";
  console.log(markdown);
  console.log(`bench wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (!args.includes("--no-write")) writeReportSection("search", markdown);
}

await main();
