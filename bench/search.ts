/**
 * Search cost and accuracy against the DUT model, in process: mlr vs the original bisection and,
 * when CSIT_MLRSEARCH names a CSIT checkout's resources/libraries/python/MLRsearch, vs FD.io
 * CSIT's MLRsearch run unmodified against the very same TS model (bench/csit), at the 11
 * original frame sizes, presets `default` (one run) and `noisy` (seeds 1..20), final trial
 * duration 30 s. Writes the tables to bench/REPORT.md, section "search".
 *
 * Run: [CSIT_MLRSEARCH=<dir>] npx tsx bench/search.ts [--no-write] [--trace <preset>:<seed>:<size>]
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
import { createMlrSearch, mlrSearch } from "../src/search/mlr.ts";
import type { SearchAlgorithm, TrialFn } from "../src/search/types.ts";
import { CsitMlrSearch } from "./csit/mlrsearch.ts";
import type { CsitJob } from "./csit/mlrsearch.ts";
import { writeReportSection } from "./report-file.ts";
import { groundTruthPps, modelTrialFn, relativeError } from "./support/model-check.ts";

const FINAL_DURATION_S = 30;
const NDR_PCT = 0.01;
const PDR_PCT = 0.5;
const NOISY_SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);
/**
 * Seeds kept out of tuning: tuning up to 2026-12-01 looked at seeds 1-300 and 1001-1200 only;
 * the estimator change of 2026-12-02 also watched 5001-5200, so 9001-9200 were first run once
 * it was final.
 */
const FRESH_SEEDS = Array.from({ length: 200 }, (_, i) => i + 5001);
const LATER_SEEDS = Array.from({ length: 200 }, (_, i) => i + 9001);
/** Issue 15's targets: trial-seconds against CSIT's, worst errors. */
const COST_TARGET: Partial<Record<DutPresetName, number>> = { default: 0.8, noisy: 0.85 };
const ERROR_TARGET = 0.005;

/** CSIT MLRsearch's settings for the comparison: the same goals and durations as mlr's. */
const CSIT_SETTINGS: Omit<CsitJob, "maxLoadPps"> = {
  minLoadPps: 9001,
  lossRatios: [NDR_PCT / 100, PDR_PCT / 100],
  exceedRatio: 0.5,
  relativeWidth: 0.005,
  initialDurationS: 1,
  finalDurationS: FINAL_DURATION_S,
  durationSumS: 2 * FINAL_DURATION_S,
  precedingTargets: 2,
  expansionCoefficient: 2,
  warmupDurationS: null,
};

/** What one search at one frame size gave, whatever ran it. */
interface Outcome {
  trialSeconds: number;
  trials: number;
  /** Per threshold of the case. */
  ratesPps: Array<number | null>;
  stopped: boolean;
}

interface Case {
  label: string;
  thresholdsPct: number[];
  run(lineRatePps: number, trial: TrialFn): Promise<Outcome>;
}

function ourCase(label: string, algorithm: SearchAlgorithm, thresholdsPct: number[]): Case {
  return {
    label,
    thresholdsPct,
    run: async (lineRate, trial) => {
      const r = await algorithm.search(
        {
          lineRatePps: lineRate,
          lossThresholdsPct: thresholdsPct,
          finalDurationS: FINAL_DURATION_S,
        },
        trial,
      );
      return {
        trialSeconds: r.trialSeconds,
        trials: r.trials.length,
        ratesPps: r.results.map((x) => x.ratePps),
        stopped: r.stopReason !== undefined,
      };
    },
  };
}

function csitCase(csit: CsitMlrSearch): Case {
  return {
    label: "CSIT MLRsearch",
    thresholdsPct: [NDR_PCT, PDR_PCT],
    run: async (lineRate, trial) => {
      const r = await csit.search({ ...CSIT_SETTINGS, maxLoadPps: lineRate }, trial);
      return {
        trialSeconds: r.trialSeconds,
        trials: r.trials,
        ratesPps: r.error === null ? r.lowerBoundsPps : [null, null],
        stopped: r.error !== null,
      };
    },
  };
}

const MLR = ourCase("autotrex mlr", mlrSearch, [NDR_PCT, PDR_PCT]);
const BISECTION_CASES: Case[] = [
  ourCase("bisection (original, NDR only)", bisection, [NDR_PCT]),
  ourCase("bisection, NDR + PDR", bisection, [NDR_PCT, PDR_PCT]),
];

function modelSeed(seed: number, frameSize: number): number {
  return (seed * 65537 + frameSize) >>> 0;
}

function searchOne(c: Case, preset: DutPresetName, seed: number, size: number): Promise<Outcome> {
  const params = DUT_PRESETS[preset];
  const model = new DutModel(params, modelSeed(seed, size));
  return c.run(lineRatePps(params.speedGbps * 1e9, size), modelTrialFn(model, size));
}

interface PerSize {
  ndr: number | null;
  pdr: number | null;
  trialS: number;
}

interface Summary {
  preset: DutPresetName;
  label: string;
  runs: number;
  meanTrialS: number;
  maxTrialS: number;
  meanTrials: number;
  worstNdr: number | null;
  worstPdr: number | null;
  na: number;
  stopped: number;
  maxTrials: number;
  /** Searches whose NDR missed G_T(S) by more than the error target. */
  ndrOverTarget: number;
  pdrOverTarget: number;
  perSize: Map<number, PerSize>;
}

function worse(a: number | null, b: number | null): number | null {
  if (b === null) return a;
  if (a === null) return b;
  return Math.abs(b) > Math.abs(a) ? b : a;
}

async function sweep(c: Case, preset: DutPresetName, seeds: number[]): Promise<Summary> {
  const params = DUT_PRESETS[preset];
  const s: Summary = {
    preset,
    label: c.label,
    runs: seeds.length,
    meanTrialS: 0,
    maxTrialS: 0,
    meanTrials: 0,
    worstNdr: null,
    worstPdr: null,
    na: 0,
    stopped: 0,
    maxTrials: 0,
    ndrOverTarget: 0,
    pdrOverTarget: 0,
    perSize: new Map(),
  };
  for (const seed of seeds) {
    let total = 0;
    for (const size of DEFAULT_FRAME_SIZES) {
      const r = await searchOne(c, preset, seed, size);
      total += r.trialSeconds;
      s.meanTrials += r.trials / seeds.length;
      s.maxTrials = Math.max(s.maxTrials, r.trials);
      if (r.stopped) s.stopped++;
      const errors = r.ratesPps.map((rate, i) => {
        if (rate === null) s.na++;
        return relativeError(rate, groundTruthPps(params, size, c.thresholdsPct[i]));
      });
      const ndr = errors[c.thresholdsPct.indexOf(NDR_PCT)] ?? null;
      const pdr = errors[c.thresholdsPct.indexOf(PDR_PCT)] ?? null;
      s.worstNdr = worse(s.worstNdr, ndr);
      s.worstPdr = worse(s.worstPdr, pdr);
      if (ndr !== null && Math.abs(ndr) > ERROR_TARGET) s.ndrOverTarget++;
      if (pdr !== null && Math.abs(pdr) > ERROR_TARGET) s.pdrOverTarget++;
      s.perSize.set(size, { ndr, pdr, trialS: r.trialSeconds });
    }
    s.meanTrialS += total / seeds.length;
    s.maxTrialS = Math.max(s.maxTrialS, total);
  }
  return s;
}

const pct = (x: number | null): string =>
  x === null ? "—" : `${x >= 0 ? "+" : ""}${(x * 100).toFixed(3)} %`;

async function trace(spec: string): Promise<void> {
  const [preset, seed, size] = spec.split(":");
  const algorithm = process.env.MLR_OPTS
    ? createMlrSearch(JSON.parse(process.env.MLR_OPTS) as object)
    : mlrSearch;
  const params = DUT_PRESETS[preset as DutPresetName];
  const model = new DutModel(params, modelSeed(Number(seed), Number(size)));
  const r = await algorithm.search(
    {
      lineRatePps: lineRatePps(params.speedGbps * 1e9, Number(size)),
      lossThresholdsPct: [NDR_PCT, PDR_PCT],
      finalDurationS: FINAL_DURATION_S,
    },
    modelTrialFn(model, Number(size)),
  );
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

function mainTable(summaries: Summary[]): string[] {
  const lines = [
    "| preset | search | trial-seconds per sweep | trials | worst NDR error | worst PDR error |",
    "|---|---|---:|---:|---:|---:|",
  ];
  for (const s of summaries) {
    const preset = s.preset === "noisy" ? "noisy, seeds 1–20" : s.preset;
    lines.push(
      `| ${preset} | ${s.label} | ${s.meanTrialS.toFixed(1)} | ${s.meanTrials.toFixed(0)} | ${pct(s.worstNdr)} | ${pct(s.worstPdr)} |`,
    );
  }
  return lines;
}

function detailTable(summaries: Summary[]): string[] {
  const baseline = (preset: DutPresetName): number =>
    summaries.find((s) => s.preset === preset && s.label === BISECTION_CASES[0].label)!.meanTrialS;
  const lines = [
    "| preset | search | trial-s / sweep (mean) | max | × original bisection | worst NDR error | worst PDR error | N/A | stopped | max trials / size |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const s of summaries) {
    lines.push(
      `| ${s.preset} | ${s.label} | ${s.meanTrialS.toFixed(1)} | ${s.maxTrialS.toFixed(1)} | ${(s.meanTrialS / baseline(s.preset)).toFixed(3)} | ${pct(s.worstNdr)} | ${pct(s.worstPdr)} | ${s.na} | ${s.stopped} | ${s.maxTrials} |`,
    );
  }
  return lines;
}

function perSizeTable(summaries: Summary[]): string[] {
  const onDefault = summaries.filter((s) => s.preset === "default");
  const lines = [
    "| frame size | C(S) pps | line-limited | " + onDefault.map((s) => s.label).join(" | ") + " |",
    "|---:|---:|:---:|" + onDefault.map(() => "---|").join(""),
  ];
  for (const size of DEFAULT_FRAME_SIZES) {
    const cap = capacityPps(DUT_PRESETS.default, size);
    const limited = cap >= lineRatePps(10e9, size) ? "yes" : "no";
    const cells = onDefault.map((s) => {
      const d = s.perSize.get(size)!;
      return `${pct(d.ndr)} / ${pct(d.pdr)} / ${d.trialS.toFixed(1)}`;
    });
    lines.push(`| ${size} | ${cap.toFixed(0)} | ${limited} | ${cells.join(" | ")} |`);
  }
  return lines;
}

function targetLines(summaries: Summary[]): string[] {
  const find = (preset: DutPresetName, label: string): Summary | undefined =>
    summaries.find((s) => s.preset === preset && s.label === label);
  const lines: string[] = [];
  for (const preset of ["default", "noisy"] as const) {
    const m = find(preset, MLR.label)!;
    const c = find(preset, "CSIT MLRsearch");
    const verdict = (ok: boolean, by: string): string => (ok ? "met" : `missed by ${by}`);
    const errors = [m.worstNdr, m.worstPdr].map((e) => Math.abs(e ?? Infinity));
    const worst = Math.max(...errors);
    const errorText = `worst NDR / PDR error ${(errors[0] * 100).toFixed(2)} % / ${(errors[1] * 100).toFixed(2)} % (target ≤ 0.5 %: ${verdict(worst <= ERROR_TARGET, `${((worst - ERROR_TARGET) * 100).toFixed(2)} points`)})`;
    if (!c) {
      lines.push(`- ${preset}: ${errorText}; no CSIT figures to compare the cost with.`);
      continue;
    }
    const ratio = m.meanTrialS / c.meanTrialS;
    const target = COST_TARGET[preset] ?? 1;
    lines.push(
      `- ${preset}: trial-seconds ${ratio.toFixed(3)} × CSIT MLRsearch's (target ≤ ${target}: ${verdict(ratio <= target, (ratio - target).toFixed(3))}); ${errorText}.`,
    );
  }
  return lines;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const traceAt = args.indexOf("--trace");
  if (traceAt >= 0) return trace(args[traceAt + 1]);
  const started = Date.now();
  const csitDir = process.env.CSIT_MLRSEARCH;
  const csit = csitDir ? new CsitMlrSearch(csitDir) : undefined;
  const compared = [MLR, ...(csit ? [csitCase(csit)] : [])];
  const summaries: Summary[] = [];
  try {
    for (const preset of ["default", "noisy"] as const) {
      const seeds = preset === "default" ? [1] : NOISY_SEEDS;
      for (const c of [...compared, ...BISECTION_CASES])
        summaries.push(await sweep(c, preset, seeds));
    }
  } finally {
    csit?.close();
  }
  const fresh = await sweep(MLR, "noisy", FRESH_SEEDS);
  const later = await sweep(MLR, "noisy", LATER_SEEDS);
  const main = summaries.filter((s) => compared.some((c) => c.label === s.label));
  const lines: string[] = [
    "## search",
    "",
    `Generated by \`${csit ? "CSIT_MLRSEARCH=… " : ""}npx tsx bench/search.ts\` (${new Date().toISOString().slice(0, 10)}). DUT model in process, ` +
      `11 frame sizes (${DEFAULT_FRAME_SIZES.join(", ")} B), final trial duration ${FINAL_DURATION_S} s, ` +
      `\`default\` once, \`noisy\` with seeds 1–20; goals loss 0.0001 (NDR) and 0.005 (PDR), exceed ratio 0.5, relative width 0.005. ` +
      (csit
        ? `CSIT MLRsearch: FD.io CSIT's \`resources/libraries/python/MLRsearch\`${process.env.CSIT_COMMIT ? ` (commit ${process.env.CSIT_COMMIT})` : ""}, unmodified, run by Python 3 in the same bench run ` +
          "(bench/csit/mlrsearch_driver.py); every trial it asks for is answered over a pipe by the emulator's own TS DUT model " +
          "with the same seed, so both searches meet exactly the same DUT. Its settings: initial trial 1 s, final 30 s, duration " +
          "sum 60 s, expansion 2, two preceding targets, minimum load 9 001 pps, maximum the line rate, no warm-up trial; its " +
          "result is the relevant lower bound. "
        : "") +
      "Trial-seconds and trials are per sweep of the 11 sizes (mean over seeds). Errors are signed, relative to " +
      "G_T(S) = min(L(S), C(S) / (1 − T)): C(S) within 0.01 % for NDR, C(S) / 0.995 (capped at line rate) for PDR; " +
      '"worst" is the largest magnitude over all sizes and seeds.',
    "",
  ];
  if (!csit) {
    lines.push(
      "CSIT_MLRSEARCH was not set: this run measured autotrex alone (set it to a CSIT checkout's resources/libraries/python/MLRsearch to run CSIT's MLRsearch beside it).",
      "",
    );
  }
  lines.push(...mainTable(main), "", "Targets (issue 15):", "", ...targetLines(summaries), "");
  lines.push("All searches of this run:", "", ...detailTable(summaries), "");
  lines.push(
    "Per size on `default` (NDR error / PDR error / trial-s):",
    "",
    ...perSizeTable(summaries),
  );
  lines.push(
    "",
    `Out of sample: mlr on \`noisy\` seeds 5001–5200 (${fresh.runs * DEFAULT_FRAME_SIZES.length} searches; tuning up to 2026-12-01 looked only at seeds 1–300 and 1001–1200, the change of 2026-12-02 watched these too): ` +
      outOfSample(fresh),
    "",
    `Out of sample, later: seeds 9001–9200 (first run once the change of 2026-12-02 was final): ${outOfSample(later)}`,
    "",
    ...EXPLANATION,
  );
  const markdown = lines.join("\n") + "\n";
  console.log(markdown);
  if (!csit) console.log("CSIT_MLRSEARCH not set: ran autotrex alone.");
  console.log(`bench wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (!args.includes("--no-write")) writeReportSection("search", markdown);
}

/** One line on an out-of-sample sweep of mlr. */
function outOfSample(s: Summary): string {
  return (
    `${s.meanTrialS.toFixed(1)} trial-s per sweep, worst NDR error ${pct(s.worstNdr)}, worst PDR error ${pct(s.worstPdr)}, ` +
    `${s.ndrOverTarget} searches with NDR and ${s.pdrOverTarget} with PDR beyond 0.5 %, ${s.na} N/A, ${s.stopped} stopped.`
  );
}

/** How mlr spends its trial-seconds (kept beside the figures it explains). */
const EXPLANATION: string[] = [
  "Where mlr's trial-seconds go, and why it beats CSIT's on cost while keeping the accuracy lead:",
  "",
  "- A shorter trial that lost counts as a bad trial of full length (buffers make short trials optimistic), so " +
    "mlr settles upper bounds with short trials: a load nobody measured gets 1 s, one that passed only shorter " +
    "trials the next longer duration (5.5 s) before 30 s. On `default` a DUT-limited size takes two 30 s trials " +
    "(one full-length pass per goal, never the same load twice) and about 45 s of shorter ones; a line-limited " +
    "size takes 1 s + 30 s. CSIT counts short losses by their own length, so its upper bounds at the final " +
    "target need full-length trials.",
  "- `noisy` (capacity drawn once per trial, σ = 1 % of C(S), line-limited sizes included) defeats per-load " +
    "classification: near C(S) one trial is a coin toss, which is where CSIT's 2 % errors come from. mlr " +
    "watches for noise from the last coarse target on (equal trials that forwarded at different rates, a pass " +
    "at or above a loss no longer than it, overloaded trials that agree neither on the rate nor on the share " +
    "they forwarded) and takes a steady verdict only after four equal losing trials agreed. On a noisy DUT every " +
    "trial of 1.5 s or longer is a sample of each goal's load: one that failed gives a value (rx/d over 1 − the " +
    "loss ratio; the buffer's share B/(C·d) is 0.06–0.13 % at 1.5 s), one that passed a lower limit. Overload " +
    "samples (1.5 s, three spreads above the median) are added until the standard error is 0.42 goal widths, " +
    "at least 20. The estimate is the censored centre of every sample but the confirmations: the normal " +
    "maximum-likelihood centre in ln load with passes as lower limits (a Tobit model, fitted by EM), values " +
    "clipped at three spreads so that one wild trial moves it by at most 3σ/n. A 30 s trial must then meet the " +
    "goal at that load or above; at the median it passes only half the time, so these confirmations are about " +
    "two thirds of mlr's noisy trial-seconds (about 3 per DUT-limited size, 2 per line-limited one).",
  "- Change of 2026-12-02: the censored centre replaced the Hodges-Lehmann centre of the overload samples " +
    "alone, and the Kaplan-Meier median used when one of them passed or near line rate. It uses about 30 " +
    "samples where that used 24 (the early trials near C(S) count too, a pass as a lower limit), at the " +
    "mean's efficiency (Hodges-Lehmann's is 95 %), and near line rate, where half the trials pass, every " +
    "failed trial's value where Kaplan-Meier's median lands on one sample. Confirmations stay out: a pass " +
    "would lift the very estimate it has to meet (a test turns red if it does). No more trial-seconds (the " +
    "sample rule is unchanged; 1151.7 per sweep on seeds 1–20 before). Before → after: seeds " +
    "1–20 worst NDR / PDR error −0.528 % / −0.521 % → see the table above; seeds 5001–5200 worst −0.768 % / " +
    "−0.823 %, 18 NDR and 12 PDR results beyond 0.5 %; seeds 9001–9200 worst +0.720 % / −0.843 %, 22 and 18 " +
    "beyond; the after figures are those above.",
  "- What limits accuracy on `noisy` is the number of draws: about 30 samples give a standard error of " +
    "about 0.18 % per DUT-limited search, so the worst of 800 such searches lands near 0.6 %. The errors are " +
    "not systematically low (mean −0.01 % over seeds 1–300): DUT-limited sizes lean high by +0.01 to +0.07 % " +
    "(the buffer's share of a 1.5 s sample, which no trial tells apart from the capacity, less half a grid step " +
    "of rounding down), line-limited ones low by −0.01 to −0.05 % (no result exceeds line rate), so most " +
    "misses left at DUT-limited sizes are high. Halving the standard error needs four times the samples.",
];

try {
  await main();
} catch (err) {
  // One clear line (a missing or broken CSIT checkout, mostly), not a stack trace.
  console.error(`bench/search: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
