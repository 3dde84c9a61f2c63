/**
 * Where a run's traffic goes: a TRex server given by address, one started from a local TRex
 * directory, or the built-in emulator on an ephemeral port. Never a silent fallback from one
 * to another. The CLI and the agent open the session and hand it to the runner.
 */
import { DutSpecError, loadDutSpec, startEmulator, type DutParams } from "../emulator/index.ts";
import type { RunResult } from "../report/result.ts";
import { RunSetupError } from "../runner/exit-code.ts";
import type { RunSession } from "../runner/types.ts";
import { TrexClient, TrexConnectionError } from "../trex/index.ts";
import { logTail, startLocalTrex, TrexStartError } from "./local-trex.ts";

export const DEFAULT_SERVER = "127.0.0.1:4501";
/** The config `--trex-dir` starts TRex with when `--cfg` is not given (from the cwd). */
export const DEFAULT_TREX_CFG = "trex_cfg.yaml";
/** Real DUTs hold packets in flight after TX stops; the model does not. */
const REAL_RX_DRAIN_MS = 250;

/** Which server a run uses (the run's `server`/`emulate` parameters, and `--trex-dir`). */
export interface ServerTarget {
  /** The built-in emulator with these settings; `server` and `trexDir` are then unused. */
  emulate: RunResult["parameters"]["emulate"];
  /** A TRex server's address (default DEFAULT_SERVER); where a `trexDir` server answers. */
  server: string | null;
  /** Start TRex's server from this directory for the run, and stop it after. */
  trexDir?: string | null;
  trexCfg?: string | null;
}

export interface SessionOptions {
  /** The run directory: a server started from `trexDir` logs there. */
  outDir: string;
  /** Override the wait after the ports went idle before counters are read. */
  rxDrainMs?: number;
  signal?: AbortSignal;
}

/** An opened conversation with the run's server: what the runner needs, and how to end it. */
export interface ServerSession extends RunSession {
  /** Disconnects, and stops a server the session started. */
  close(): Promise<void>;
}

/**
 * The emulated DUT's model, loaded from its preset or file; one that is not valid is bad input
 * (RunSetupError, exit 2). Callers check it before anything starts; a session loads it again
 * (a file may have changed since).
 */
export function checkDut(emulate: NonNullable<ServerTarget["emulate"]>): DutParams {
  try {
    return loadDutSpec(emulate.dut);
  } catch (err) {
    if (err instanceof DutSpecError) throw new RunSetupError(err.message);
    throw err;
  }
}

async function openEmulated(
  emulate: NonNullable<ServerTarget["emulate"]>,
  opts: SessionOptions,
): Promise<ServerSession> {
  const dut = checkDut(emulate);
  const emulator = await startEmulator({
    rpcPort: 0,
    asyncPort: 0,
    dut,
    timeScale: emulate.timeScale,
    seed: emulate.seed,
  });
  try {
    const client = await TrexClient.connect({ server: emulator.rpcUrl });
    const description = {
      address: emulator.rpcUrl,
      kind: "emulator" as const,
      version: client.serverVersion,
      dut: emulate.dut,
    };
    return {
      client,
      address: emulator.rpcUrl,
      description,
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
  address: string,
  opts: SessionOptions,
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

/** Starts `t-rex-64` from the target's directory and connects to it; closing stops it. */
async function openLocalTrex(
  target: ServerTarget & { trexDir: string },
  opts: SessionOptions,
): Promise<ServerSession> {
  const address = target.server ?? DEFAULT_SERVER;
  const trex = await startLocalTrex({
    trexDir: target.trexDir,
    cfgPath: target.trexCfg ?? DEFAULT_TREX_CFG,
    address,
    logDir: opts.outDir,
    signal: opts.signal,
  });
  try {
    return await openRemote(address, opts, () => trex.stop());
  } catch (err) {
    await trex.stop();
    if (err instanceof TrexConnectionError) {
      throw new TrexStartError(`TRex did not answer on ${address}: ${logTail(trex.logPath)}`);
    }
    throw err;
  }
}

export function openSession(target: ServerTarget, opts: SessionOptions): Promise<ServerSession> {
  if (target.emulate) return openEmulated(target.emulate, opts);
  if (target.trexDir) return openLocalTrex({ ...target, trexDir: target.trexDir }, opts);
  return openRemote(target.server ?? DEFAULT_SERVER, opts);
}

/** Opens the session, hands it to `use`, and closes it whatever `use` did. */
export async function withSession<T>(
  target: ServerTarget,
  opts: SessionOptions,
  use: (session: ServerSession) => Promise<T>,
): Promise<T> {
  const session = await openSession(target, opts);
  try {
    return await use(session);
  } finally {
    await session.close();
  }
}
