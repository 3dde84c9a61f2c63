/**
 * `autotrex emulate` as a library: a TRex-compatible stateless server over real ZMQ sockets
 * with the modelled DUT of dut-model.ts behind its ports.
 *
 * The sync channel is a ZMQ ROUTER that behaves like TRex's REP socket towards REQ clients
 * (identity + empty delimiter + one payload frame). A REP socket must answer every request
 * before it can read the next one; ROUTER lets the fault plan drop or delay one reply while
 * every other request is still served, and a delayed reply does not hold up other clients.
 */
import { Publisher, Router } from "zeromq";
import type { DutParams, DutPresetName } from "./dut-model.ts";
import { loadDutSpec, parseDutParams } from "./dut-spec.ts";
import { FaultPlan, type FaultSpec } from "./faults.ts";
import { prepareMessage } from "./rpc.ts";
import { TrexBox, type PortStateName } from "./trex-box.ts";

export {
  DUT_FIELD_RANGES,
  DUT_PRESET_NAMES,
  DutSpecError,
  GENERATOR_FIELD_RANGES,
  loadDutSpec,
  parseDutParams,
} from "./dut-spec.ts";
export type { DutParams, DutPresetName, GeneratorParams } from "./dut-model.ts";
export { FaultSpecError, loadFaults, parseFaults, type FaultSpec } from "./faults.ts";
export { portModelSeed, API_MAJOR, API_MINOR } from "./trex-box.ts";
export { compressMessage, decompressMessage, MAX_RPC_MSG_LEN, ZIP_MAGIC } from "./rpc.ts";

export interface EmulatorOptions {
  /** Address to bind; default "127.0.0.1". */
  bind?: string;
  /** Sync RPC port, default 4501; 0 = ephemeral. */
  rpcPort?: number;
  /** Async (PUB) port, default 4500; 0 = ephemeral. */
  asyncPort?: number;
  /** Number of ports, even; default 2. */
  ports?: number;
  dut?: DutPresetName | DutParams;
  /** Real seconds per modelled second, default 1; 0 = trials end as soon as the client asks. */
  timeScale?: number;
  seed?: number;
  faults?: FaultSpec[];
  /**
   * What an `exit` fault does. Default: stop the emulator (close its sockets); the CLI
   * passes a function that exits the process.
   */
  onFaultExit?: (emulator: RunningEmulator) => void;
}

export interface RunningEmulator {
  rpcUrl: string;
  asyncUrl: string;
  rpcPort: number;
  stop(): Promise<void>;
  /** For tests: ownership/state of a port as the server sees it. */
  portState(portId: number): { owner: string; state: PortStateName };
}

/** Largest message the sockets accept; larger ones get the -32603 size reply up to here. */
const MAX_SOCKET_MESSAGE = 64 * 1024 * 1024;

function validateOptions(o: EmulatorOptions): void {
  const port = (v: number | undefined, name: string): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 65535)) {
      throw new Error(`${name} must be a port number 0..65535, got ${v}`);
    }
  };
  port(o.rpcPort, "rpcPort");
  port(o.asyncPort, "asyncPort");
  if (
    o.ports !== undefined &&
    (!Number.isInteger(o.ports) || o.ports < 2 || o.ports % 2 || o.ports > 254)
  ) {
    throw new Error(`ports must be an even number from 2 to 254, got ${o.ports}`);
  }
  if (o.timeScale !== undefined && !(Number.isFinite(o.timeScale) && o.timeScale >= 0)) {
    throw new Error(`timeScale must be a non-negative number, got ${o.timeScale}`);
  }
  if (o.seed !== undefined && !Number.isInteger(o.seed)) {
    throw new Error(`seed must be an integer, got ${o.seed}`);
  }
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  validateOptions(options);
  const bind = options.bind ?? "127.0.0.1";
  // Parameters given as an object are held to the same ranges as a file.
  const dut: DutParams =
    typeof options.dut === "object"
      ? parseDutParams(options.dut, "the dut option")
      : loadDutSpec(options.dut ?? "default");
  const faults = new FaultPlan(options.faults ?? []);

  const pub = new Publisher({ linger: 0, sendHighWaterMark: 1000 });
  const router = new Router({ linger: 0, maxMessageSize: MAX_SOCKET_MESSAGE });
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;

  // One send at a time per zeromq socket: chain them.
  let pubChain: Promise<void> = Promise.resolve();
  let doorbellPending = false;
  const ringDoorbell = (): void => {
    if (stopped || doorbellPending) return;
    doorbellPending = true;
    pubChain = pubChain
      .then(async () => {
        doorbellPending = false;
        if (!stopped) await pub.send("{}");
      })
      .catch(() => undefined);
  };
  let routerChain: Promise<void> = Promise.resolve();
  const sendReply = (frames: Buffer[]): void => {
    routerChain = routerChain
      .then(async () => {
        if (!stopped) await router.send(frames);
      })
      .catch(() => undefined);
  };
  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopped) fn();
    }, ms);
    timers.add(t);
  };

  const box = new TrexBox({
    ports: options.ports ?? 2,
    dut,
    timeScale: options.timeScale ?? 1,
    seed: options.seed ?? 1,
    onEvent: ringDoorbell,
    // Wake up when a trial ends so events 14/4 go out even if nobody asks.
    schedule: (atMs) => later(Math.max(0, atMs - performance.now()) + 1, () => box.advance()),
  });
  for (const { port, owner } of faults.foreignOwners()) box.setForeignOwner(port, owner);
  for (const port of faults.linkDownPorts()) box.setLinkDown(port);

  const sockets = [
    { what: "RPC port", socket: router, port: options.rpcPort ?? 4501 },
    { what: "async port", socket: pub, port: options.asyncPort ?? 4500 },
  ];
  for (const { what, socket, port } of sockets) {
    const address = `${bind}:${port === 0 ? "*" : port}`;
    try {
      await socket.bind(`tcp://${address}`);
    } catch (err) {
      router.close();
      pub.close();
      throw new Error(
        `cannot bind the emulator's ${what} on ${address}: ${(err as Error).message}`,
      );
    }
  }
  const portOf = (endpoint: string | null): number => Number(/:(\d+)$/.exec(endpoint ?? "")?.[1]);
  const rpcPort = portOf(router.lastEndpoint);
  const asyncPort = portOf(pub.lastEndpoint);

  // Once an exit fault is due nothing more is answered, even before the sockets close.
  let exitAtMs = Infinity;
  const handle = (frames: Buffer[]): void => {
    if (performance.now() >= exitAtMs) return;
    // REQ peers send [identity, "", payload]; a DEALER may omit the delimiter.
    const delimited = frames.length >= 3 && frames[1].length === 0;
    const envelope = delimited ? frames.slice(0, 2) : frames.slice(0, 1);
    const payload = frames[envelope.length] ?? Buffer.alloc(0);
    const message = prepareMessage(box, payload);
    const decision = faults.decide(message.methods);
    const reply = message.run(decision);
    if (decision.exitAfterMs !== undefined) {
      const exitAfter = decision.exitAfterMs;
      exitAtMs = Math.min(exitAtMs, performance.now() + exitAfter);
      later(exitAfter, () => {
        if (options.onFaultExit) options.onFaultExit(running);
        else void running.stop();
      });
    }
    if (decision.drop) return;
    if (decision.delayMs > 0) later(decision.delayMs, () => sendReply([...envelope, reply]));
    else sendReply([...envelope, reply]);
  };

  const loop = (async () => {
    try {
      for await (const frames of router) {
        if (stopped) break;
        try {
          handle(frames);
        } catch (err) {
          // Nothing a client sends may kill the server; report and carry on.
          process.stderr.write(`autotrex emulate: internal error: ${(err as Error).stack}\n`);
        }
      }
    } catch {
      // socket closed
    }
  })();

  const running: RunningEmulator = {
    rpcUrl: `tcp://${bind}:${rpcPort}`,
    asyncUrl: `tcp://${bind}:${asyncPort}`,
    rpcPort,
    portState: (portId) => box.portState(portId),
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      box.stopAll();
      router.close();
      pub.close();
      await loop;
    },
  };
  return running;
}
