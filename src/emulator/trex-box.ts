/**
 * The emulated TRex: one shared state (state.ts), the RPC methods by concern (methods/*.ts)
 * and trials through the modelled DUT (traffic.ts). It runs one call with TRex's api_h and
 * ownership checks, but knows nothing of sockets or the JSON-RPC envelope (see rpc.ts).
 */
import type { JsonValue } from "./json-text.ts";
import { METHODS } from "./methods/index.ts";
import { RpcError, executeErr, parseString } from "./params.ts";
import { BoxState, randomHandle, type BoxOptions, type PortStateName } from "./state.ts";
import { endDueTrials, stopTrial } from "./traffic.ts";

export { API_MAJOR, API_MINOR } from "../trex/protocol.ts";
export { portModelSeed, type PortStateName } from "./state.ts";
export type TrexBoxOptions = BoxOptions;

export class TrexBox {
  private readonly box: BoxState;

  constructor(opts: TrexBoxOptions) {
    this.box = new BoxState(opts);
    this.box.methodNames = [...METHODS.keys()];
  }

  get apiHandle(): string {
    return this.box.apiHandle;
  }

  get methods(): string[] {
    return this.box.methodNames;
  }

  hasMethod(name: string): boolean {
    return METHODS.has(name);
  }

  /** Runs one method: api_h, ownership and params checks, then the method. */
  call(method: string, params: JsonValue | undefined): JsonValue {
    const def = METHODS.get(method);
    if (!def) throw new Error(`no method ${method}`);
    const { box } = this;
    if (def.ends === "own-port") this.advance(box.portIfValid(params)?.id);
    else this.advance();
    if (def.access !== "open" && parseString(params, "api_h") !== box.apiHandle) {
      throw executeErr(
        `API verification failed - API handler provided mismatch for class: '${def.component}'`,
      );
    }
    if (def.access === "owned") {
      const handler = parseString(params, "handler");
      const port = box.parsePort(params);
      if (!port.owner) throw executeErr("please acquire the port before modifying port state");
      if (port.owner.handler !== handler) {
        throw executeErr("port is not owned by you or your current executing session");
      }
    }
    if (typeof params !== "object" || params === null || Array.isArray(params)) {
      throw executeErr("JSON-RPC2 params should be object in TRex case ");
    }
    return def.run(params, box);
  }

  /** Runs the calls of one request message at one instant of the model clock. */
  atOneInstant<T>(fn: () => T): T {
    return this.box.clock.atOneInstant(fn);
  }

  /** Ends every trial (of port `onlyPortId`, when given) whose model time is up. */
  advance(onlyPortId?: number): void {
    endDueTrials(this.box, onlyPortId === undefined ? undefined : this.box.ports[onlyPortId]);
  }

  /** Stops everything (server shutdown). */
  stopAll(): void {
    for (const port of this.box.ports) {
      for (const profile of port.profiles.values()) stopTrial(this.box, port, profile);
    }
  }

  /** For tests: ownership/state of a port as the server sees it. */
  portState(portId: number): { owner: string; state: PortStateName } {
    this.advance();
    const port = this.box.ports[portId];
    if (!port) throw new Error(`no port ${portId}`);
    return { owner: port.owner?.name ?? "", state: this.box.portStateName(port) };
  }

  // ---------------------------------------------------------------- fault injection

  /** Gives a port to another user, as if someone else had acquired it. */
  setForeignOwner(portId: number, name: string): void {
    const port = this.box.ports[portId];
    if (!port) throw new Error(`foreign-owner fault: no port ${portId}`);
    port.owner = { name, sessionId: 0x7fff0000 + portId, handler: randomHandle() };
  }

  /** Takes a port's link down: speed 0, start_traffic refused without force. */
  setLinkDown(portId: number): void {
    const port = this.box.ports[portId];
    if (!port) throw new Error(`link-down fault: no port ${portId}`);
    port.linkUp = false;
  }

  /**
   * Leaves a port in L3 mode unresolved: 10.0.N.2 behind a default gateway 10.0.N.1 that never
   * answered ARP, so it has no valid destination MAC.
   */
  setUnresolved(portId: number): void {
    const port = this.box.ports[portId];
    if (!port) throw new Error(`unresolved fault: no port ${portId}`);
    port.unresolvedL3 = { ip: `10.0.${portId}.2`, defaultGw: `10.0.${portId}.1` };
  }

  /** Gives the server NICs with hardware flow stats (service mode then excludes them). */
  setHwFlowStats(): void {
    this.box.hwFlowStats = true;
  }

  /**
   * Runs a call now and keeps its outcome under a new ticket for get_async_results, which
   * answers "work in progress" `polls` times first.
   */
  deferOutcome(run: () => JsonValue, polls: number): number {
    try {
      return this.box.addTicket({ polls, result: run() ?? null });
    } catch (err) {
      if (!(err instanceof RpcError)) throw err;
      return this.box.addTicket({ polls, error: err });
    }
  }
}
