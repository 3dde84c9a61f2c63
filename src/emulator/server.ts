/**
 * The emulator's server start-up: ZMQ sockets, the request loop, the fault plan and timers
 * around one TrexBox.
 *
 * The sync channel is a ZMQ ROUTER that behaves like TRex's REP socket towards REQ clients
 * (identity + empty delimiter + one payload frame). A REP socket must answer every request
 * before it can read the next one; ROUTER lets the fault plan drop or delay one reply while
 * every other request is still served, and a delayed reply does not hold up other clients.
 */
import { Publisher, Router } from "zeromq";
import { DEFAULT_ASYNC_PORT, DEFAULT_RPC_PORT } from "../trex/protocol.ts";
import type { DutParams, DutPresetName } from "./dut-model.ts";
import { loadDutSpec, parseDutParams } from "./dut-spec.ts";
import { FaultPlan, type FaultDecision, type FaultSpec } from "./faults.ts";
import { prepareMessage } from "./rpc.ts";
import { TrexBox, type PortStateName } from "./trex-box.ts";

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

const DEFAULTS = {
  bind: "127.0.0.1",
  rpcPort: DEFAULT_RPC_PORT,
  asyncPort: DEFAULT_ASYNC_PORT,
  ports: 2,
  timeScale: 1,
};
/** Largest message the sockets accept; larger ones get the -32603 size reply up to here. */
const MAX_SOCKET_MESSAGE = 64 * 1024 * 1024;

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  validateOptions(options);
  // Parameters given as an object are held to the same ranges as a file.
  const dut: DutParams =
    typeof options.dut === "object"
      ? parseDutParams(options.dut, "the dut option")
      : loadDutSpec(options.dut ?? "default");
  const server = new EmulatorServer(options, dut);
  await server.bind();
  server.serve();
  return server;
}

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

class EmulatorServer implements RunningEmulator {
  rpcUrl = "";
  asyncUrl = "";
  rpcPort = 0;
  private readonly box: TrexBox;
  private readonly faults: FaultPlan;
  private readonly bindAddress: string;
  private readonly pub = new Publisher({ linger: 0, sendHighWaterMark: 1000 });
  private readonly router = new Router({ linger: 0, maxMessageSize: MAX_SOCKET_MESSAGE });
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  // One send at a time per zeromq socket: chain them.
  private pubChain: Promise<void> = Promise.resolve();
  private routerChain: Promise<void> = Promise.resolve();
  private doorbellPending = false;
  /** Once an exit fault is due nothing more is answered, even before the sockets close. */
  private exitAtMs = Infinity;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: EmulatorOptions,
    dut: DutParams,
  ) {
    this.bindAddress = options.bind ?? DEFAULTS.bind;
    this.faults = new FaultPlan(options.faults ?? []);
    this.box = new TrexBox({
      ports: options.ports ?? DEFAULTS.ports,
      dut,
      timeScale: options.timeScale ?? DEFAULTS.timeScale,
      seed: options.seed ?? 1,
      onEvent: () => this.ringDoorbell(),
      // Wake up when a trial ends so events 14/4 go out even if nobody asks.
      schedule: (atMs) =>
        this.later(Math.max(0, atMs - performance.now()) + 1, () => this.box.advance()),
    });
    for (const { port, owner } of this.faults.foreignOwners())
      this.box.setForeignOwner(port, owner);
    for (const port of this.faults.linkDownPorts()) this.box.setLinkDown(port);
    for (const port of this.faults.unresolvedPorts()) this.box.setUnresolved(port);
    if (this.faults.hwFlowStats()) this.box.setHwFlowStats();
  }

  /** Binds both sockets; a failure names the socket, address and port. */
  async bind(): Promise<void> {
    const sockets = [
      { what: "RPC port", socket: this.router, port: this.options.rpcPort ?? DEFAULTS.rpcPort },
      { what: "async port", socket: this.pub, port: this.options.asyncPort ?? DEFAULTS.asyncPort },
    ];
    for (const { what, socket, port } of sockets) {
      const address = `${this.bindAddress}:${port === 0 ? "*" : port}`;
      try {
        await socket.bind(`tcp://${address}`);
      } catch (err) {
        this.router.close();
        this.pub.close();
        throw new Error(
          `cannot bind the emulator's ${what} on ${address}: ${(err as Error).message}`,
        );
      }
    }
    const portOf = (endpoint: string | null): number => Number(/:(\d+)$/.exec(endpoint ?? "")?.[1]);
    this.rpcPort = portOf(this.router.lastEndpoint);
    this.rpcUrl = `tcp://${this.bindAddress}:${this.rpcPort}`;
    this.asyncUrl = `tcp://${this.bindAddress}:${portOf(this.pub.lastEndpoint)}`;
  }

  /** Answers requests until the router closes. */
  serve(): void {
    this.loop = (async () => {
      try {
        for await (const frames of this.router) {
          if (this.stopped) break;
          try {
            this.handle(frames);
          } catch (err) {
            // Nothing a client sends may kill the server; report and carry on.
            process.stderr.write(`autotrex emulate: internal error: ${(err as Error).stack}\n`);
          }
        }
      } catch {
        // socket closed
      }
    })();
  }

  portState(portId: number): { owner: string; state: PortStateName } {
    return this.box.portState(portId);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.box.stopAll();
    this.router.close();
    this.pub.close();
    await this.loop;
  }

  /** One request message: run it through the fault plan and the box, send (or hold) the reply. */
  private handle(frames: Buffer[]): void {
    if (performance.now() >= this.exitAtMs) return;
    // REQ peers send [identity, "", payload]; a DEALER may omit the delimiter.
    const delimited = frames.length >= 3 && frames[1].length === 0;
    const envelope = delimited ? frames.slice(0, 2) : frames.slice(0, 1);
    const payload = frames[envelope.length] ?? Buffer.alloc(0);
    const message = prepareMessage(this.box, payload);
    const decision = this.faults.decide(message.methods);
    const reply = message.run(decision);
    this.planExit(decision);
    if (decision.drop) return;
    const send = (): void => this.sendReply([...envelope, reply]);
    if (decision.delayMs > 0) this.later(decision.delayMs, send);
    else send();
  }

  private planExit(decision: FaultDecision): void {
    const exitAfter = decision.exitAfterMs;
    if (exitAfter === undefined) return;
    this.exitAtMs = Math.min(this.exitAtMs, performance.now() + exitAfter);
    this.later(exitAfter, () => {
      if (this.options.onFaultExit) this.options.onFaultExit(this);
      else void this.stop();
    });
  }

  private sendReply(frames: Buffer[]): void {
    this.routerChain = this.routerChain
      .then(async () => {
        if (!this.stopped) await this.router.send(frames);
      })
      .catch(() => undefined);
  }

  /** The PUB doorbell: `{}` tells subscribers that events are waiting (one pending at most). */
  private ringDoorbell(): void {
    if (this.stopped || this.doorbellPending) return;
    this.doorbellPending = true;
    this.pubChain = this.pubChain
      .then(async () => {
        this.doorbellPending = false;
        if (!this.stopped) await this.pub.send("{}");
      })
      .catch(() => undefined);
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }
}
