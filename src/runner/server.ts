/**
 * Where a run's traffic goes: a TRex server given by address, one started from a local TRex
 * directory, or the built-in emulator on an ephemeral port. Never a silent fallback from one
 * to another.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadDutSpec, startEmulator, type RunningEmulator } from "../emulator/index.ts";
import type { RunResult } from "../report/result.ts";
import { TrexClient, TrexConnectionError } from "../trex/index.ts";
import type { RunOptions } from "./types.ts";

export const DEFAULT_SERVER = "127.0.0.1:4501";
/** Real DUTs hold packets in flight after TX stops; the model does not. */
const REAL_RX_DRAIN_MS = 250;
const TREX_START_TIMEOUT_MS = 120_000;

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

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once("exit", () => done());
    child.kill("SIGINT");
    setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
  });
}

/** Starts `t-rex-64 -i --cfg FILE` in `trexDir` and waits until its RPC port answers. */
async function openLocalTrex(opts: RunOptions, signal?: AbortSignal): Promise<ServerSession> {
  const dir = resolve(opts.trexDir!);
  const binary = join(dir, "t-rex-64");
  if (!existsSync(binary))
    throw new TrexStartError(`no t-rex-64 in ${dir} (--trex-dir must be a TRex installation)`);
  const cfg = resolve(opts.trexCfg ?? "trex_cfg.yaml");
  if (!existsSync(cfg)) throw new TrexStartError(`TRex config ${cfg} not found (--cfg)`);
  const child = spawn(binary, ["-i", "--cfg", cfg], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const deadline = Date.now() + TREX_START_TIMEOUT_MS;
  const address = opts.server ?? DEFAULT_SERVER;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new TrexStartError(
        `t-rex-64 exited (${child.exitCode ?? child.signalCode}) before answering:\n${output}`,
      );
    }
    if (signal?.aborted) {
      await stopChild(child);
      throw new TrexStartError("interrupted while waiting for t-rex-64 to start");
    }
    try {
      return await openRemote(opts, address, () => stopChild(child));
    } catch (err) {
      if (!(err instanceof TrexConnectionError) || Date.now() > deadline) {
        await stopChild(child);
        throw err instanceof TrexConnectionError
          ? new TrexStartError(
              `t-rex-64 did not answer on ${address} within ${TREX_START_TIMEOUT_MS / 1000} s:\n${output}`,
            )
          : err;
      }
    }
  }
}

export async function openServer(opts: RunOptions, signal?: AbortSignal): Promise<ServerSession> {
  if (opts.emulate) return openEmulated(opts);
  if (opts.trexDir) return openLocalTrex(opts, signal);
  return openRemote(opts, opts.server ?? DEFAULT_SERVER);
}
