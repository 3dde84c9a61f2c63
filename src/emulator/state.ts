/**
 * The emulated server's state, shared by every RPC method: ports and their owners, profiles
 * and streams, the trial under way per profile, counters, pg-id statistics, sessions with their
 * event queues, and the model clock. Methods (methods/*.ts) read and change it; trials run
 * through traffic.ts.
 */
import { randomInt } from "node:crypto";
import { DEFAULT_PROFILE_ID } from "../trex/protocol.ts";
import { ModelClock } from "./clock.ts";
import { DutModel, type DutParams } from "./dut-model.ts";
import type { JsonObject, JsonValue } from "./json-text.ts";
import { RpcError, executeErr, parseNumber } from "./params.ts";
import type { StreamDef } from "./streams.ts";
import type { Trial } from "./trial.ts";

export type PortStateName = "IDLE" | "STREAMS" | "TX" | "PAUSE";

export interface BoxOptions {
  ports: number;
  dut: DutParams;
  /** Real seconds per modelled second; 0 ends a trial as soon as anyone asks. */
  timeScale: number;
  seed: number;
  /** Called after events were queued (the PUB doorbell). */
  onEvent?: () => void;
  /** Called whenever a trial's end time is known, so the server can wake up for it. */
  schedule?: (atMs: number) => void;
  /** Real time, ms (default performance.now). */
  now?: () => number;
}

export interface Owner {
  name: string;
  sessionId: number;
  handler: string;
}

export interface Counters {
  opackets: number;
  obytes: number;
  ipackets: number;
  ibytes: number;
  /** Received and dropped inside TRex (rx_missed_errors): beyond generator.rxMaxPps. */
  rxMissed: number;
}

export interface Profile {
  id: string;
  streams: Map<number, StreamDef>;
  trial: Trial | null;
}

export interface Port {
  id: number;
  speedGbps: number;
  owner: Owner | null;
  profiles: Map<string, Profile>;
  counters: Counters;
  dut: DutModel;
  service: boolean;
  promiscuous: boolean;
  /** False for a link-down fault: speed 0, nothing reaches the peer. */
  linkUp: boolean;
  /**
   * L3 mode whose default gateway never answered ARP (the unresolved fault): the port has no
   * valid destination MAC. Null: L2 with a configured destination, as every port starts.
   */
  unresolvedL3: { ip: string; defaultGw: string } | null;
}

/** TRex's per-profile m_flow_stats_count (TrexStatelessProfile::add_stream): null streams aside. */
export function hasFlowStats(profile: Profile): boolean {
  return [...profile.streams.values()].some((s) => !s.nullStream && s.flowStats !== null);
}

/** TRex's m_non_explicit_dst_macs_count: enabled or not, only null streams are left out. */
export function hasImplicitDstMac(profile: Profile): boolean {
  return [...profile.streams.values()].some((s) => !s.nullStream && !s.explicitDstMac);
}

export interface PgidCounters {
  ver: number;
  tp: Map<number, number>;
  tb: Map<number, number>;
  rp: Map<number, number>;
  rb: Map<number, number>;
  latency: { min: number; avg: number; max: number; dropped: number; packets: number } | null;
}

interface Session {
  events: JsonObject[];
  seq: number;
  lastPollMs: number;
  reader: boolean;
}

/** An outcome kept for get_async_results (the work-in-progress fault). */
interface Ticket {
  polls: number;
  result?: JsonValue;
  error?: RpcError;
}

/** The issue that TRex's refusals of service mode beside flow stats point to. */
export const TREX_545 = "https://trex-tgn.cisco.com/youtrack/issue/trex-545";

/** DP cores per port, as get_system_info reports them and core_mask checks them. */
export const DP_CORES_PER_PORT = 1;
/** A session that has not polled its events for this long loses them (as TRex does). */
const SESSION_IDLE_MS = 10_000;

/** Seed of the DUT model for the direction that port `portId` transmits into. */
export function portModelSeed(seed: number, portId: number): number {
  return (seed * 65537 + portId + 1) >>> 0;
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
export function randomHandle(): string {
  let s = "";
  for (let i = 0; i < 8; i++) s += ALNUM[randomInt(ALNUM.length)];
  return s;
}

export class BoxState {
  readonly apiHandle = randomHandle();
  readonly startedAt = new Date();
  readonly ports: Port[];
  readonly sessions = new Map<number, Session>();
  readonly pgids = new Map<number, PgidCounters>();
  readonly tickets = new Map<number, Ticket>();
  readonly now: () => number;
  readonly clock: ModelClock;
  /** Names of the registered methods (get_supported_cmds). */
  methodNames: string[] = [];
  /**
   * NICs that count flow stats in hardware (TRex's hw_rx_stat_supported(): i40e), where
   * service mode and flow-stats traffic exclude each other; af_packet has none (the default).
   */
  hwFlowStats = false;
  private pgidVersion = 0;
  private nextTicket = 1;

  constructor(readonly opts: BoxOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.clock = new ModelClock(opts.timeScale, this.now);
    this.ports = Array.from({ length: opts.ports }, (_, id) => ({
      id,
      speedGbps: opts.dut.speedGbps,
      owner: null,
      profiles: new Map([
        [DEFAULT_PROFILE_ID, { id: DEFAULT_PROFILE_ID, streams: new Map(), trial: null }],
      ]),
      counters: { opackets: 0, obytes: 0, ipackets: 0, ibytes: 0, rxMissed: 0 },
      dut: new DutModel(opts.dut, portModelSeed(opts.seed, id)),
      service: false,
      promiscuous: false,
      linkUp: true,
      unresolvedL3: null,
    }));
  }

  // ---------------------------------------------------------------- ports and profiles

  parsePort(params: JsonValue | undefined): Port {
    const id = parseNumber(params, "port_id", "byte");
    const port = this.ports[id];
    if (!port) {
      throw executeErr(`invalid port id - should be:${this.ports.map((p) => ` ${p.id}`).join("")}`);
    }
    return port;
  }

  /** The port a request names, or undefined when its port_id is not a valid one. */
  portIfValid(params: JsonValue | undefined): Port | undefined {
    const id = typeof params === "object" && params !== null ? Reflect.get(params, "port_id") : 0;
    return typeof id === "number" ? this.ports[id] : undefined;
  }

  /** The port wired to this one through the DUT: 0↔1, 2↔3, … */
  peer(port: Port): Port {
    return this.ports[port.id ^ 1] ?? port;
  }

  profileState(profile: Profile): PortStateName {
    if (profile.trial) return profile.trial.pausedAtS !== null ? "PAUSE" : "TX";
    return profile.streams.size > 0 ? "STREAMS" : "IDLE";
  }

  /** The busiest state of the port's profiles. */
  portStateName(port: Port): PortStateName {
    const order: PortStateName[] = ["IDLE", "STREAMS", "PAUSE", "TX"];
    let best = 0;
    for (const p of port.profiles.values()) {
      best = Math.max(best, order.indexOf(this.profileState(p)));
    }
    return order[best];
  }

  isTransmitting(port: Port): boolean {
    return [...port.profiles.values()].some((p) => p.trial !== null);
  }

  /** TrexStatelessPort::is_running_flow_stats: a profile in TX or PAUSE with flow stats. */
  isRunningFlowStats(port: Port): boolean {
    return [...port.profiles.values()].some((p) => p.trial !== null && hasFlowStats(p));
  }

  stateError(cmd: string, profile: Profile): RpcError {
    return executeErr(
      `command '${cmd}' cannot be executed on current state: '${this.profileState(profile)} on profile_id(${profile.id}).`,
    );
  }

  profileOrThrow(port: Port, id: string): Profile {
    const profile = port.profiles.get(id);
    if (!profile) throw executeErr(`profile_id ${id} does not exists`);
    return profile;
  }

  maxStreamId(port: Port): number {
    let max = 0;
    for (const profile of port.profiles.values()) {
      for (const id of profile.streams.keys()) max = Math.max(max, id);
    }
    return max;
  }

  // ---------------------------------------------------------------- sessions and events

  queueEvent(type: number, data: JsonObject): void {
    const now = this.now();
    for (const [id, s] of this.sessions) {
      if (s.events.length === 0 || now - s.lastPollMs < SESSION_IDLE_MS) {
        if (s.events.length === 0) s.lastPollMs = now;
        s.events.push({ name: "trex-event", type, data, seq: s.seq++ });
      } else if (s.reader) {
        this.sessions.delete(id);
      }
    }
    this.opts.onEvent?.();
  }

  addSession(sessionId: number, reader: boolean): void {
    const s = this.sessions.get(sessionId);
    if (s) {
      if (!reader) s.reader = false;
      return;
    }
    this.sessions.set(sessionId, { events: [], seq: 0, lastPollMs: this.now(), reader });
  }

  // ---------------------------------------------------------------- pg ids

  pgid(id: number): PgidCounters {
    let pg = this.pgids.get(id);
    if (!pg) {
      pg = {
        ver: this.pgidVersion++,
        tp: new Map(),
        tb: new Map(),
        rp: new Map(),
        rb: new Map(),
        latency: null,
      };
      this.pgids.set(id, pg);
    }
    return pg;
  }

  /** Pg ids of all streams on all ports, by rule type. */
  activePgids(): { flowStats: number[]; latency: number[] } {
    const flow = new Set<number>();
    const lat = new Set<number>();
    for (const port of this.ports) {
      for (const profile of port.profiles.values()) {
        for (const s of profile.streams.values()) {
          if (!s.flowStats) continue;
          (s.flowStats.ruleType === "latency" ? lat : flow).add(s.flowStats.pgid);
        }
      }
    }
    return { flowStats: [...flow], latency: [...lat] };
  }

  activePgidSet(): Set<number> {
    const ids = this.activePgids();
    return new Set([...ids.flowStats, ...ids.latency]);
  }

  // ---------------------------------------------------------------- async tickets

  /** Keeps an outcome under a new ticket for get_async_results. */
  addTicket(ticket: Ticket): number {
    const id = this.nextTicket++;
    this.tickets.set(id, ticket);
    return id;
  }
}
