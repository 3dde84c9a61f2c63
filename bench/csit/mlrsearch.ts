/**
 * FD.io CSIT's MLRsearch (Python, unmodified, from a checkout named by CSIT_MLRSEARCH) against
 * the emulator's DUT model: bench/csit/mlrsearch_driver.py runs the search and asks this side
 * for every trial over a pipe, so both searches meet the very same TS model, bit for bit.
 */
import { spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import type { Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { TrialFn } from "../../src/search/types.ts";

/** The goal and target settings of the comparison (those of issue 15), CSIT's names. */
export interface CsitJob {
  maxLoadPps: number;
  minLoadPps: number;
  lossRatios: number[];
  exceedRatio: number;
  relativeWidth: number;
  initialDurationS: number;
  finalDurationS: number;
  durationSumS: number;
  precedingTargets: number;
  expansionCoefficient: number;
  /** CSIT's warm-up trial at max load (its default 1 s); counted in trial-seconds. */
  warmupDurationS: number | null;
}

export interface CsitOutcome {
  /** Relevant lower bound per goal, pps (null: none, the minimum load failed). */
  lowerBoundsPps: Array<number | null>;
  trials: number;
  trialSeconds: number;
  error: string | null;
}

type DriverMessage =
  | { trial: { ratePps: number; durationS: number } }
  | {
      done: {
        lowerBoundsPps: Array<number | null>;
        error: string | null;
        txSum: number;
        rxSum: number;
      };
    };

const DRIVER = fileURLToPath(new URL("./mlrsearch_driver.py", import.meta.url));

/** One Python process for many searches, one at a time. */
export class CsitMlrSearch {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly pending: Array<(line: string) => void> = [];
  private stderr = "";

  constructor(csitMlrsearchDir: string, python = process.env.PYTHON ?? "python3") {
    this.child = spawn(python, [DRIVER], {
      env: { ...process.env, CSIT_MLRSEARCH: csitMlrsearchDir },
    });
    this.child.stderr.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on("line", (line) => this.pending.shift()?.(line));
  }

  private next(): Promise<DriverMessage> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void =>
        reject(
          new Error(
            `CSIT MLRsearch driver exited (${code}): ${this.stderr.trim().split("\n").pop() ?? ""}`,
          ),
        );
      this.child.once("exit", onExit);
      this.pending.push((line) => {
        this.child.off("exit", onExit);
        resolve(JSON.parse(line) as DriverMessage);
      });
    });
  }

  private send(message: unknown): void {
    this.child.stdin.write(JSON.stringify(message) + "\n");
  }

  async search(job: CsitJob, trial: TrialFn): Promise<CsitOutcome> {
    this.send({ search: job });
    let trials = 0;
    let trialSeconds = 0;
    let txSum = 0;
    let rxSum = 0;
    for (;;) {
      const message = await this.next();
      if ("done" in message) {
        const { lowerBoundsPps, error } = message.done;
        // The model's counts must reach MLRsearch unchanged (integers through JSON both ways).
        if (message.done.txSum !== txSum || message.done.rxSum !== rxSum) {
          throw new Error(
            `CSIT MLRsearch received tx ${message.done.txSum} / rx ${message.done.rxSum}, the model sent ${txSum} / ${rxSum}`,
          );
        }
        return { lowerBoundsPps, error, trials, trialSeconds };
      }
      const { ratePps, durationS } = message.trial;
      const out = await trial(ratePps, durationS);
      trials++;
      trialSeconds += durationS;
      txSum += out.txPackets;
      rxSum += out.rxPackets;
      this.send({ tx: out.txPackets, rx: out.rxPackets });
    }
  }

  close(): void {
    this.send({ quit: true });
    this.child.stdin.end();
  }
}
