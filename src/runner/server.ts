/**
 * Where a run's traffic goes: a TRex server given by address, one started from a local TRex
 * directory, or the built-in emulator on an ephemeral port. Never a silent fallback from one
 * to another.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join, resolve } from "node:path";
import { loadDutSpec, startEmulator, type RunningEmulator } from "../emulator/index.ts";
import type { RunResult } from "../report/result.ts";
import { TrexClient, TrexConnectionError, normalizeAddress } from "../trex/index.ts";
import type { RunOptions } from "./types.ts";

export const DEFAULT_SERVER = "127.0.0.1:4501";
/** Real DUTs hold packets in flight after TX stops; the model does not. */
const REAL_RX_DRAIN_MS = 250;
const TREX_START_TIMEOUT_MS = 120_000;
/** The log of a server started with --trex-dir, in the run directory. */
export const TREX_LOG_FILE = "trex.log";

export interface ServerSession {
  client: TrexClient;
  address: string;
  description: RunResult["server"];
  rxDrainMs: number;
  close(): Promise<void>;
}

/** TRex's server failed to start from --trex-dir, or died. */
export class TrexStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrexStartError";
  }
}

async function openEmulated(opts: RunOptions): Promise<ServerSession> {
  const emulate = opts.emulate!;
  const emulator: RunningEmulator = await startEmulator({
    rpcPort: 0,
    asyncPort: 0,
    dut: loadDutSpec(emulate.dut),
    timeScale: emulate.timeScale,
    seed: emulate.seed,
  });
  try {
    const client = await TrexClient.connect({ server: emulator.rpcUrl });
    return {
      client,
      address: emulator.rpcUrl,
      description: {
        address: emulator.rpcUrl,
        kind: "emulator",
        version: client.serverVersion,
        dut: emulate.dut,
      },
      rxDrainMs: opts.rxDrainMs ?? 0,
      async close() {
        await client.disconnect().catch(() => undefined);
        await emulator.stop();
      },
    };
  } catch (err) {
    await emulator.stop();
    throw err;
  }
}

async function openRemote(
  opts: RunOptions,
  address: string,
  onClose?: () => Promise<void>,
): Promise<ServerSession> {
  const client = await TrexClient.connect({ server: address });
  return {
    client,
    address,
    description: { address: client.address, kind: "trex", version: client.serverVersion },
    rxDrainMs: opts.rxDrainMs ?? REAL_RX_DRAIN_MS,
    async close() {
      await client.disconnect().catch(() => undefined);
      await onClose?.();
    },
  };
}

/** How long TRex gets to exit on SIGINT before it is killed. */
const TREX_STOP_TIMEOUT_MS = 10_000;
/** Flags for the interactive (stateless) server without its helpers or a terminal. */
const TREX_FLAGS = ["-i", "--no-scapy-server", "--no-key", "--no-termio", "--iom", "0"];
/** Lines of the server's log an error shows. */
const LOG_TAIL_LINES = 5;
const PORT_POLL_MS = 250;

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (exited(child)) return done();
    const killer = setTimeout(() => child.kill("SIGKILL"), TREX_STOP_TIMEOUT_MS);
    child.once("exit", () => {
      clearTimeout(killer);
      done();
    });
    child.kill("SIGINT");
  });
}

/** The installation's `t-rex-64` script, else the bare binary (a portable server build). */
function trexBinary(dir: string): string {
  for (const name of ["t-rex-64", "_t-rex-64"]) {
    const path = join(dir, name);
    if (!existsSync(path)) continue;
    try {
      accessSync(path, constants.X_OK);
    } catch {
      throw new TrexStartError(`${path} is not executable (chmod +x, or run as its owner)`);
    }
    return `./${name}`;
  }
  throw new TrexStartError(
    `no t-rex-64 or _t-rex-64 in ${dir} (--trex-dir must be a TRex directory)`,
  );
}

/** The last lines of the server's log, joined into one line for an error message. */
function logTail(logPath: string): string {
  let text = "";
  try {
    text = readFileSync(logPath, "utf8");
  } catch {
    return `(no log at ${logPath})`;
  }
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  return `${lines.slice(-LOG_TAIL_LINES).join(" | ") || "(empty log)"} (log: ${logPath})`;
}

/** True once something accepts TCP connections on host:port. */
function portAccepts(address: string): Promise<boolean> {
  const m = /^tcp:\/\/\[?([^\]]+?)\]?:(\d+)$/.exec(normalizeAddress(address));
  return new Promise((done) => {
    const socket = connect({ host: m![1], port: Number(m![2]) });
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}

function spawnTrex(dir: string, cfg: string, logPath: string): ChildProcess {
  const log = openSync(logPath, "a");
  try {
    // From its own directory: the portable binary's RUNPATH (so:so/x86_64) is relative to it.
    // Its own process group, so the terminal's Ctrl-C reaches autotrex, which releases the
    // ports and then stops the server.
    const child = spawn(trexBinary(dir), [...TREX_FLAGS, "--cfg", cfg], {
      cwd: dir,
      stdio: ["ignore", log, log],
      detached: true,
    });
    child.on("error", () => undefined); // reported as an early exit
    const killOnExit = (): void => {
      if (!exited(child)) child.kill("SIGKILL");
    };
    process.once("exit", killOnExit);
    child.once("exit", () => process.off("exit", killOnExit));
    return child;
  } finally {
    closeSync(log);
  }
}

/** Waits until the server's RPC port accepts connections; throws if it exits first. */
async function waitForTrex(
  child: ChildProcess,
  address: string,
  logPath: string,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + TREX_START_TIMEOUT_MS;
  while (!(await portAccepts(address))) {
    if (exited(child)) {
      throw new TrexStartError(
        `TRex exited (${child.exitCode ?? child.signalCode}) before answering on ${address}: ${logTail(logPath)}`,
      );
    }
    if (signal?.aborted) throw new TrexStartError("interrupted while waiting for TRex to start");
    if (Date.now() > deadline) {
      throw new TrexStartError(
        `TRex did not answer on ${address} within ${TREX_START_TIMEOUT_MS / 1000} s: ${logTail(logPath)}`,
      );
    }
    await new Promise((r) => setTimeout(r, PORT_POLL_MS));
  }
}

/**
 * Starts TRex's interactive server from `trexDir` (`t-rex-64`, or `_t-rex-64` of a portable
 * build) with `--cfg FILE`, logging to trex.log in the run directory, waits until its RPC port
 * answers, and stops it when the session closes.
 */
async function openLocalTrex(opts: RunOptions, signal?: AbortSignal): Promise<ServerSession> {
  const dir = resolve(opts.trexDir!);
  if (!existsSync(dir)) throw new TrexStartError(`TRex directory ${dir} not found (--trex-dir)`);
  const cfg = resolve(opts.trexCfg ?? "trex_cfg.yaml");
  if (!existsSync(cfg)) throw new TrexStartError(`TRex config ${cfg} not found (--cfg)`);
  const address = opts.server ?? DEFAULT_SERVER;
  if (await portAccepts(address)) {
    throw new TrexStartError(
      `something already answers on ${address}: stop that server or run without --trex-dir`,
    );
  }
  const logPath = join(resolve(opts.outDir), TREX_LOG_FILE);
  const child = spawnTrex(dir, cfg, logPath);
  try {
    await waitForTrex(child, address, logPath, signal);
    return await openRemote(opts, address, () => stopChild(child));
  } catch (err) {
    await stopChild(child);
    if (err instanceof TrexConnectionError) {
      throw new TrexStartError(`TRex did not answer on ${address}: ${logTail(logPath)}`);
    }
    throw err;
  }
}

export async function openServer(opts: RunOptions, signal?: AbortSignal): Promise<ServerSession> {
  if (opts.emulate) return openEmulated(opts);
  if (opts.trexDir) return openLocalTrex(opts, signal);
  return openRemote(opts, opts.server ?? DEFAULT_SERVER);
}
