/**
 * Helpers of the real-server suite: the CLI as a child process, the testbed script, the run
 * directory's files and a second TRex client that looks at the server from outside the run.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { RunResult, ThresholdOutcome } from "../../src/report/result.ts";
import { TrexClient, type PortInfo } from "../../src/trex/index.ts";

export const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/autotrex.js");
const TESTBED = join(ROOT, "scripts/testbed.sh");

/** An unpacked TRex directory; the suite runs only when it is set. */
export const TREX_HOME = process.env.TREX_HOME ?? "";
const STATE_DIR = process.env.ATX_STATE_DIR ?? "/run/autotrex-testbed";
/** The config `scripts/testbed.sh up` last wrote (it records where), unless TREX_CFG names one. */
function testbedConfig(): string {
  if (process.env.TREX_CFG) return resolve(process.env.TREX_CFG);
  const recorded = join(STATE_DIR, "cfg-path");
  if (existsSync(recorded)) return readFileSync(recorded, "utf8").trim();
  return join(STATE_DIR, "trex_cfg.yaml");
}
export const TREX_CFG = testbedConfig();
export const SERVER = "127.0.0.1:4501";
const SERVER_PORT = 4501;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallS: number;
}

export interface Running {
  /** Resolves with the exit. */
  exit: Promise<Exit>;
  kill(signal: NodeJS.Signals): void;
  /** What it has written to stdout so far. */
  stdout(): string;
}

/** `node bin/autotrex.js ARGS`, as a user runs it. */
export function startAutotrex(args: string[]): Running {
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const exit = new Promise<Exit>((done) =>
    child.on("exit", (code, signal) =>
      done({ code, signal, stdout, stderr, wallS: (performance.now() - t0) / 1000 }),
    ),
  );
  return { exit, kill: (s) => child.kill(s), stdout: () => stdout };
}

export function autotrex(args: string[]): Promise<Exit> {
  return startAutotrex(args).exit;
}

/** `scripts/testbed.sh ARGS`; throws with its output when it fails. */
export function testbed(args: string[]): string {
  const r = spawnSync("bash", [TESTBED, ...args], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error(
      `scripts/testbed.sh ${args.join(" ")} exited ${r.status}:\n${r.stdout}${r.stderr}`,
    );
  }
  return r.stdout;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `atx-real-${prefix}-`));
}

export function readResult(dir: string): RunResult {
  return JSON.parse(readFileSync(join(dir, "result.json"), "utf8")) as RunResult;
}

/**
 * The loss limit of a result, percent, from either result.json schema: version 1 keeps it in
 * the result (`lossThresholdPct`), version 2 names one of `parameters.thresholds`.
 */
export function lossLimitPct(run: RunResult, r: ThresholdOutcome): number {
  const own = r as unknown as { lossThresholdPct?: number; threshold?: string };
  if (typeof own.lossThresholdPct === "number") return own.lossThresholdPct;
  const params = run.parameters as unknown as {
    thresholds?: Array<{ name: string; lossPct: number }>;
  };
  const named = params.thresholds?.find((t) => t.name === own.threshold);
  if (!named) throw new Error(`result names threshold '${own.threshold}', not in parameters`);
  return named.lossPct;
}

/** One CSV line (RFC 4180 quoting) as its fields. */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === '"' && line[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') quoted = !quoted;
    else if (c === "," && !quoted) {
      fields.push(field);
      field = "";
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/** trials.csv as records keyed by column name. */
export function readTrials(dir: string): Array<Record<string, string>> {
  const lines = readFileSync(join(dir, "trials.csv"), "utf8").trim().split(/\r?\n/);
  const header = csvFields(lines[0]);
  return lines.slice(1).map((line) => {
    const fields = csvFields(line);
    return Object.fromEntries(header.map((h, i) => [h, fields[i] ?? ""]));
  });
}

/** True when something accepts TCP connections on the server's RPC port. */
export function serverPortOpen(): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: "127.0.0.1", port: SERVER_PORT });
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}

/** A TRex process on this machine, whoever started it. */
export function trexProcessRunning(): boolean {
  return spawnSync("pgrep", ["-x", "_t-rex-64"]).status === 0;
}

/** Another TRex user, as a second engineer on the same server would be. */
export function secondClient(user = "atx-other"): Promise<TrexClient> {
  return TrexClient.connect({ server: SERVER, user });
}

/**
 * The ports as the server reports them now, in port order (the server lists them in its own
 * order), read by a fresh client that owns nothing.
 */
export async function portsNow(): Promise<PortInfo[]> {
  const client = await secondClient("atx-observer");
  try {
    return [...(await client.refreshPorts())].sort((a, b) => a.portId - b.portId);
  } finally {
    await client.disconnect();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
