/**
 * A TRex interactive server started for one run from a local TRex directory (`--trex-dir`):
 * spawned, waited for until its RPC port answers, and stopped when the run is over.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join, resolve } from "node:path";
import { normalizeAddress, TrexError } from "../trex/index.ts";

const TREX_START_TIMEOUT_MS = 120_000;
/** How long TRex gets to exit on SIGINT before it is killed. */
const TREX_STOP_TIMEOUT_MS = 10_000;
/** Flags for the interactive (stateless) server without its helpers or a terminal. */
const TREX_FLAGS = ["-i", "--no-scapy-server", "--no-key", "--no-termio", "--iom", "0"];
/** Lines of the server's log an error shows. */
const LOG_TAIL_LINES = 5;
const PORT_POLL_MS = 250;
/** The log of a server started with --trex-dir, in the run directory. */
const TREX_LOG_FILE = "trex.log";

/**
 * TRex's server failed to start from --trex-dir, or died. A TrexError: like a server that
 * does not answer, it exits 3 (runner/exit-status.ts).
 */
export class TrexStartError extends TrexError {
  constructor(message: string) {
    super(message);
    this.name = "TrexStartError";
  }
}

export interface LocalTrexOptions {
  /** The TRex directory (`t-rex-64`, or `_t-rex-64` of a portable build). */
  trexDir: string;
  /** Its configuration file (`--cfg`). */
  cfgPath: string;
  /** Where its RPC port is to answer. */
  address: string;
  /** Directory its log (TREX_LOG_FILE) is written to. */
  logDir: string;
  signal?: AbortSignal;
}

export interface LocalTrex {
  logPath: string;
  /** SIGINT, then SIGKILL after TREX_STOP_TIMEOUT_MS. */
  stop(): Promise<void>;
}

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
export function logTail(logPath: string): string {
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
 * Starts TRex's interactive server from `trexDir` with `--cfg FILE`, logging to trex.log in
 * `logDir`, and waits until its RPC port answers. Refuses when something already answers on
 * the address: the run would measure that server, not the one started.
 */
export async function startLocalTrex(opts: LocalTrexOptions): Promise<LocalTrex> {
  const dir = resolve(opts.trexDir);
  if (!existsSync(dir)) throw new TrexStartError(`TRex directory ${dir} not found (--trex-dir)`);
  const cfg = resolve(opts.cfgPath);
  if (!existsSync(cfg)) throw new TrexStartError(`TRex config ${cfg} not found (--cfg)`);
  if (await portAccepts(opts.address)) {
    throw new TrexStartError(
      `something already answers on ${opts.address}: stop that server or run without --trex-dir`,
    );
  }
  const logPath = join(resolve(opts.logDir), TREX_LOG_FILE);
  const child = spawnTrex(dir, cfg, logPath);
  try {
    await waitForTrex(child, opts.address, logPath, opts.signal);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return { logPath, stop: () => stopChild(child) };
}
