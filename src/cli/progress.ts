/**
 * Progress of a run for people: a live status line on a terminal, plain log lines in CI logs.
 */
import type { Threshold } from "../report/result.ts";
import type { RunEvent } from "../runner/types.ts";

export interface ProgressOptions {
  stream: NodeJS.WriteStream;
  quiet: boolean;
  /** Trial-seconds a frame size is expected to take before any size has finished. */
  expectedTrialSecondsPerSize: number;
  /** The run's thresholds: a result line names each with the loss it allows. */
  thresholds?: readonly Threshold[];
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0
    ? `${h}h${String(m).padStart(2, "0")}m`
    : m > 0
      ? `${m}m${String(rest).padStart(2, "0")}s`
      : `${rest}s`;
}

export function formatMpps(ratePps: number): string {
  return `${(ratePps / 1e6).toFixed(3)} Mpps`;
}

export function formatLossPct(lossRatio: number): string {
  return `${(lossRatio * 100).toPrecision(3)} %`;
}

type EventOf<T extends RunEvent["type"]> = Extract<RunEvent, { type: T }>;

function trialLine(e: EventOf<"trial">, sizeCount: number): string {
  const verdict = !e.trial.valid
    ? `invalid (${e.trial.invalidReason})`
    : e.trial.passed[0]
      ? "pass"
      : "fail";
  return (
    `[${e.sizeIndex + 1}/${sizeCount} ${e.frameSize} B] trial ${e.trial.index + 1}: ` +
    `${formatMpps(e.trial.ratePps)} for ${e.trial.durationS} s, loss ${formatLossPct(e.trial.lossRatio)} ${verdict}`
  );
}

/** "NDR (≤0.01 %)": a threshold by name, with the loss it allows when the run's list is known. */
export function formatThreshold(name: string, thresholds: readonly Threshold[] = []): string {
  const threshold = thresholds.find((t) => t.name === name);
  return threshold ? `${name} (≤${threshold.lossPct} %)` : name;
}

/**
 * What bounds a result other than the DUT: the generator's ceiling, or the line itself (the
 * DUT forwards at least that much). Either way the figure is a lower bound on the DUT.
 */
function limitTag(r: EventOf<"size">["size"]["results"][number]): string {
  if (r.generatorLimited) return " (generator-limited)";
  return r.lineRateLimited ? " (at line rate)" : "";
}

/** A size's figures ("4.293 Mpps NDR (≤0.01 %)"), each with what limited it, if not the DUT. */
function sizeLine(s: EventOf<"size">["size"], thresholds?: readonly Threshold[]): string {
  const figures = s.results
    .map(
      (r) => `${formatMpps(r.ratePps)} ${formatThreshold(r.threshold, thresholds)}${limitTag(r)}`,
    )
    .join(", ");
  const outcome =
    s.status === "ok" ? figures : `${s.status.toUpperCase()}${s.reason ? ` (${s.reason})` : ""}`;
  return (
    `${s.frameSize} B: ${outcome}` +
    ` — line rate ${formatMpps(s.theoretical.ratePps)}, ${s.trialCount} trials, ${Number(s.trialSeconds.toFixed(1))} trial-s`
  );
}

function finishedLine(e: EventOf<"finished">): string {
  const done = e.result.sizes.length;
  const failed = e.result.sizes.filter((s) => s.status === "failed").length;
  return (
    `run ${e.result.status}: ${done} of ${e.result.parameters.sizes.length} frame sizes measured` +
    `${failed > 0 ? `, ${failed} failed` : ""}, exit ${e.exitCode}`
  );
}

/** Returns the event handler that draws progress, and a function to end the live line. */
export function createProgress(opts: ProgressOptions): {
  onEvent: (e: RunEvent) => void;
  close: () => void;
} {
  const live = opts.stream.isTTY === true;
  const startedAtMs = Date.now();
  let sizes: number[] = [];
  let trialSecondsDone = 0;
  let sizeTrialSeconds = 0;
  let sizesDone = 0;
  let lineOpen = false;

  const eta = (): string => {
    const perSize =
      sizesDone > 0
        ? (trialSecondsDone - sizeTrialSeconds) / sizesDone
        : opts.expectedTrialSecondsPerSize;
    const remaining = Math.max(0, perSize * (sizes.length - sizesDone) - sizeTrialSeconds);
    const wallPerTrialSecond =
      trialSecondsDone > 0 ? (Date.now() - startedAtMs) / 1000 / trialSecondsDone : 1;
    return formatDuration(remaining * wallPerTrialSecond);
  };
  const write = (text: string): void => {
    if (opts.quiet) return;
    if (live) {
      opts.stream.write(`\r\x1b[2K${text}`);
      lineOpen = true;
    } else {
      opts.stream.write(`${text}\n`);
    }
  };
  const log = (text: string): void => {
    if (opts.quiet) return;
    if (lineOpen) opts.stream.write("\r\x1b[2K");
    lineOpen = false;
    opts.stream.write(`${text}\n`);
  };

  const onEvent = (e: RunEvent): void => {
    switch (e.type) {
      case "started":
        sizes = e.sizes;
        log(`run ${e.outDir}: ${sizes.length} frame sizes at ${e.speedBps / 1e9} Gb/s`);
        break;
      case "trial":
        trialSecondsDone += e.trial.durationS;
        sizeTrialSeconds += e.trial.durationS;
        write(trialLine(e, sizes.length) + (live ? ` · ETA ${eta()}` : ""));
        break;
      case "size":
        sizesDone++;
        sizeTrialSeconds = 0;
        log(`${sizeLine(e.size, opts.thresholds)}, ETA ${eta()}`);
        break;
      case "warning":
        log(`warning: ${e.message}`);
        break;
      case "finished":
        log(finishedLine(e));
        break;
    }
  };
  return {
    onEvent,
    close: () => {
      if (lineOpen) opts.stream.write("\n");
      lineOpen = false;
    },
  };
}
