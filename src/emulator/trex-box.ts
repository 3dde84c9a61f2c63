/**
 * The emulated TRex: ports, owners, profiles and streams, trials through the modelled DUT,
 * counters, pg-id statistics and per-session event queues. It knows the RPC methods and
 * their parameters but nothing of sockets or the JSON-RPC envelope (see rpc.ts).
 */
import { randomInt } from "node:crypto";
import { hostname } from "node:os";
import { ModelClock } from "./clock.ts";
import {
  DutModel,
  capacityPps,
  generatorCeilingPps,
  modelLineRatePps,
  type DutParams,
} from "./dut-model.ts";
import { memberMeta, type JsonObject, type JsonValue } from "./json-text.ts";
import {
  RPC_ERR,
  RpcError,
  asString,
  checkElement,
  executeErr,
  formatG,
  isAbsent,
  optBool,
  optNumber,
  parseArray,
  parseBool,
  parseChoice,
  parseErr,
  parseNumber,
  parseObject,
  parseProfile,
  parseString,
} from "./params.ts";
import { MAX_STREAMS_PER_PORT, baseRates, parseStream, type StreamDef } from "./streams.ts";

export const API_MAJOR = 5;
export const API_MINOR = 1;
const SERVER_VERSION = "v3.08";
const DP_CORES_PER_PORT = 1;
const MAX_PGIDS_PER_QUERY = 1152;
const ALL_CORES = (1n << 64n) - 1n;
/** Rate multiplier kinds of start_traffic and update_traffic, as the real server takes them. */
const MULTIPLIER_TYPES = ["raw", "bps", "bpsl1", "pps", "percentage"] as const;

export type PortStateName = "IDLE" | "STREAMS" | "TX" | "PAUSE";

export interface TrexBoxOptions {
  ports: number;
  dut: DutParams;
  /** Real seconds per modelled second; 0 ends a trial as soon as anyone asks. */
  timeScale: number;
  seed: number;
  /** Called after events were queued (the PUB doorbell). */
  onEvent?: () => void;
  /** Called whenever a trial's end time is known, so the server can wake up for it. */
  schedule?: (atMs: number) => void;
  now?: () => number;
}

/** Seed of the DUT model for the direction that port `portId` transmits into. */
export function portModelSeed(seed: number, portId: number): number {
  return (seed * 65537 + portId + 1) >>> 0;
}

interface Owner {
  name: string;
  sessionId: number;
  handler: string;
}

interface Counters {
  opackets: number;
  obytes: number;
  ipackets: number;
  ibytes: number;
}

/** A running (or paused) trial of one profile. */
interface Trial {
  streams: Array<{ def: StreamDef; ratePps: number; endS: number }>;
  factor: number;
  /** The rate the port really sends at, all streams: min(offered, line, generator). */
  sendPps: number;
  /** Model seconds per requested second: > 1 when the generator cannot keep up. */
  stretch: number;
  frameSize: number;
  allContinuous: boolean;
  /** Modelled length, Infinity when it runs until stopped. */
  durationS: number;
  /** Model seconds (clock.ts) at the start, spent paused, and of the pause under way. */
  startS: number;
  pausedS: number;
  pausedAtS: number | null;
  /** Modelled seconds already committed by earlier segments (update_traffic). */
  doneS: number;
}

interface Profile {
  id: string;
  streams: Map<number, StreamDef>;
  trial: Trial | null;
}

interface Port {
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
}

interface PgidCounters {
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

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
function randomHandle(): string {
  let s = "";
  for (let i = 0; i < 8; i++) s += ALNUM[randomInt(ALNUM.length)];
  return s;
}

/** Methods that skip the api_h check. */
const NO_API = new Set(["api_sync", "api_sync_v2", "get_version", "ping"]);
/** Methods that need `handler` + `port_id` of an owned port. */
const OWNED = new Set([
  "release",
  "add_stream",
  "remove_stream",
  "remove_all_streams",
  "start_traffic",
  "stop_traffic",
  "pause_traffic",
  "resume_traffic",
  "update_traffic",
  "pause_streams",
  "resume_streams",
  "update_streams",
  "validate",
  "remove_rx_filters",
  "push_remote",
  "service",
]);
/** Methods of TRex's common component (the rest are the STL component's). */
const COMMON = new Set([
  "get_version",
  "api_sync",
  "api_sync_v2",
  "get_async_events",
  "get_port_status",
  "ping",
  "get_supported_cmds",
  "get_utilization",
  "publish_now",
  "get_system_info",
  "get_global_stats",
  "get_port_stats",
  "get_port_xstats_values",
  "get_port_xstats_names",
  "set_port_attr",
  "get_owner",
  "capture",
  "set_rx_feature",
  "get_async_results",
  "cancel_async_task",
]);

const XSTATS_NAMES = [
  "rx_good_packets",
  "tx_good_packets",
  "rx_good_bytes",
  "tx_good_bytes",
  "rx_missed_errors",
  "rx_errors",
  "tx_errors",
];

type Handler = (params: JsonObject) => JsonValue;

export class TrexBox {
  readonly apiHandle = randomHandle();
  readonly startedAt = new Date();
  private readonly ports: Port[];
  private readonly sessions = new Map<number, Session>();
  private readonly pgids = new Map<number, PgidCounters>();
  private pgidVersion = 0;
  private readonly tickets = new Map<
    number,
    { polls: number; result?: JsonValue; error?: RpcError }
  >();
  private nextTicket = 1;
  private readonly now: () => number;
  private readonly clock: ModelClock;
  private readonly handlers: Record<string, Handler>;

  constructor(private readonly opts: TrexBoxOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.clock = new ModelClock(opts.timeScale, this.now);
    this.ports = Array.from({ length: opts.ports }, (_, id) => ({
      id,
      speedGbps: opts.dut.speedGbps,
      owner: null,
      profiles: new Map([["_", { id: "_", streams: new Map(), trial: null }]]),
      counters: { opackets: 0, obytes: 0, ipackets: 0, ibytes: 0 },
      dut: new DutModel(opts.dut, portModelSeed(opts.seed, id)),
      service: false,
      promiscuous: false,
      linkUp: true,
    }));
    this.handlers = this.buildHandlers();
  }

  get methods(): string[] {
    return Object.keys(this.handlers);
  }

  hasMethod(name: string): boolean {
    return Object.hasOwn(this.handlers, name);
  }

  /** Runs the calls of one request message at one instant of the model clock. */
  atOneInstant<T>(fn: () => T): T {
    return this.clock.atOneInstant(fn);
  }

  /** Takes a port's link down (fault injection). */
  setLinkDown(portId: number): void {
    const port = this.ports[portId];
    if (!port) throw new Error(`link-down fault: no port ${portId}`);
    port.linkUp = false;
  }

  /**
   * Runs a call now and keeps its outcome under a new ticket for get_async_results, which
   * answers "work in progress" `polls` times first (fault injection).
   */
  deferOutcome(run: () => JsonValue, polls: number): number {
    const ticket = this.nextTicket++;
    try {
      this.tickets.set(ticket, { polls, result: run() ?? null });
    } catch (err) {
      if (!(err instanceof RpcError)) throw err;
      this.tickets.set(ticket, { polls, error: err });
    }
    return ticket;
  }

  /** Gives a port to another user, as if someone else had acquired it (fault injection). */
  setForeignOwner(portId: number, name: string): void {
    const port = this.ports[portId];
    if (!port) throw new Error(`foreign-owner fault: no port ${portId}`);
    port.owner = { name, sessionId: 0x7fff0000 + portId, handler: randomHandle() };
  }

  portState(portId: number): { owner: string; state: PortStateName } {
    this.advance();
    const port = this.ports[portId];
    if (!port) throw new Error(`no port ${portId}`);
    return { owner: port.owner?.name ?? "", state: this.portStateName(port) };
  }

  /** Runs one method: api_h, ownership and params checks, then the handler. */
  call(method: string, params: JsonValue | undefined): JsonValue {
    // Starting one port does not look at the others: at time scale 0 their trials stay
    // under way, so ports started one after the other start at the same model time.
    if (method === "start_traffic") this.advance(this.portIfValid(params));
    else this.advance();
    if (!NO_API.has(method)) {
      const h = parseString(params, "api_h");
      if (h !== this.apiHandle) {
        throw executeErr(
          `API verification failed - API handler provided mismatch for class: '${COMMON.has(method) ? "common" : "STL"}'`,
        );
      }
    }
    if (OWNED.has(method)) {
      const handler = parseString(params, "handler");
      const port = this.parsePort(params);
      if (!port.owner) throw executeErr("please acquire the port before modifying port state");
      if (port.owner.handler !== handler) {
        throw executeErr("port is not owned by you or your current executing session");
      }
    }
    if (typeof params !== "object" || params === null || Array.isArray(params)) {
      throw executeErr("JSON-RPC2 params should be object in TRex case ");
    }
    return this.handlers[method](params);
  }

  /**
   * Ends every trial (of `only`, when given) whose modelled time is up, queueing events 14
   * and 4. At time scale 0 every trial with an end is up: the clock first moves to the end.
   */
  advance(only?: Port): void {
    const ports = only ? [only] : this.ports;
    const ending = (trial: Trial | null): trial is Trial =>
      trial !== null && trial.pausedAtS === null && Number.isFinite(trial.durationS);
    if (this.clock.frozen) {
      for (const port of ports) {
        for (const { trial } of port.profiles.values()) {
          if (ending(trial)) this.clock.reach(trialEndS(trial));
        }
      }
    }
    const now = this.clock.nowS();
    for (const port of ports) {
      for (const profile of port.profiles.values()) {
        const trial = profile.trial;
        if (!ending(trial)) continue;
        if (now >= trialEndS(trial)) {
          this.finishTrial(port, profile, trial.durationS);
          this.queueEvent(14, { port_id: port.id, profile_id: profile.id });
          if (!this.isTransmitting(port)) this.queueEvent(4, { port_id: port.id });
        }
      }
    }
  }

  /** Stops everything (server shutdown). */
  stopAll(): void {
    for (const port of this.ports) {
      for (const profile of port.profiles.values()) {
        if (profile.trial) this.finishTrial(port, profile, this.elapsedS(profile.trial));
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  /** The port a request names, or undefined when its port_id is not a valid one. */
  private portIfValid(params: JsonValue | undefined): Port | undefined {
    const id = typeof params === "object" && params !== null ? Reflect.get(params, "port_id") : 0;
    return typeof id === "number" ? this.ports[id] : undefined;
  }

  private parsePort(params: JsonValue | undefined): Port {
    const id = parseNumber(params, "port_id", "byte");
    const port = this.ports[id];
    if (!port) {
      throw executeErr(`invalid port id - should be:${this.ports.map((p) => ` ${p.id}`).join("")}`);
    }
    return port;
  }

  private peer(port: Port): Port {
    return this.ports[port.id ^ 1] ?? port;
  }

  private profileState(profile: Profile): PortStateName {
    if (profile.trial) return profile.trial.pausedAtS !== null ? "PAUSE" : "TX";
    return profile.streams.size > 0 ? "STREAMS" : "IDLE";
  }

  private portStateName(port: Port): PortStateName {
    const order: PortStateName[] = ["IDLE", "STREAMS", "PAUSE", "TX"];
    let best = 0;
    for (const p of port.profiles.values()) {
      best = Math.max(best, order.indexOf(this.profileState(p)));
    }
    return order[best];
  }

  private isTransmitting(port: Port): boolean {
    return [...port.profiles.values()].some((p) => p.trial !== null);
  }

  private stateError(cmd: string, profile: Profile): RpcError {
    return executeErr(
      `command '${cmd}' cannot be executed on current state: '${this.profileState(profile)} on profile_id(${profile.id}).`,
    );
  }

  private getProfile(port: Port, id: string): Profile | undefined {
    return port.profiles.get(id);
  }

  private queueEvent(type: number, data: JsonObject): void {
    const now = this.now();
    for (const [id, s] of this.sessions) {
      if (s.events.length === 0 || now - s.lastPollMs < 10_000) {
        if (s.events.length === 0) s.lastPollMs = now;
        s.events.push({ name: "trex-event", type, data, seq: s.seq++ });
      } else if (s.reader) {
        this.sessions.delete(id);
      }
    }
    this.opts.onEvent?.();
  }

  private addSession(sessionId: number, reader: boolean): void {
    const s = this.sessions.get(sessionId);
    if (s) {
      if (!reader) s.reader = false;
      return;
    }
    this.sessions.set(sessionId, { events: [], seq: 0, lastPollMs: this.now(), reader });
  }

  /** Modelled seconds a trial has transmitted so far (by the model clock, pauses left out). */
  private elapsedS(trial: Trial): number {
    const end = trial.pausedAtS ?? this.clock.nowS();
    if (Number.isFinite(trial.durationS) && end >= trialEndS(trial)) return trial.durationS;
    return Math.max(0, end - trial.startS - trial.pausedS);
  }

  /** Packets a stream has sent by modelled time t of its segment. */
  private streamPackets(s: Trial["streams"][number], t: number): number {
    const active = Math.max(0, Math.min(t, s.endS) - s.def.isgUs / 1e6);
    const m = s.def.mode;
    if (m.type === "continuous") return s.ratePps * active;
    // A finished burst stream has sent exactly its packets, whatever float rounding says.
    if (t >= s.endS) return m.type === "single_burst" ? m.totalPkts : m.count * m.pktsPerBurst;
    if (m.type === "single_burst") return Math.min(m.totalPkts, Math.floor(s.ratePps * active));
    const burstS = m.pktsPerBurst / s.ratePps;
    const periodS = burstS + m.ibgUs / 1e6;
    const full = Math.min(m.count, Math.floor(active / periodS));
    const partial =
      full < m.count
        ? Math.min(m.pktsPerBurst, Math.floor((active - full * periodS) * s.ratePps))
        : 0;
    return full * m.pktsPerBurst + partial;
  }

  /** Commits the counters of a trial segment of `t` modelled seconds through the DUT model. */
  private finishTrial(port: Port, profile: Profile, tRaw: number, keepRunning = false): void {
    const trial = profile.trial!;
    const t = Math.min(tRaw, trial.durationS);
    const line = modelLineRatePps(this.opts.dut, trial.frameSize);
    const rEff = Math.min(trial.sendPps, line);
    const perStream = trial.streams.map((s) => this.streamPackets(s, t));
    const sent = perStream.reduce((a, b) => a + b, 0);
    // All-continuous profiles are exactly the model's trial; others run it at their mean rate.
    const durationS = trial.allContinuous ? t : rEff > 0 ? sent / rEff : 0;
    const outcome = port.dut.trial({
      ratePps: trial.sendPps,
      durationS,
      frameSize: trial.frameSize,
    });
    const tx = apportion(outcome.txPackets, perStream);
    const rx = port.linkUp ? apportion(outcome.rxPackets, tx) : tx.map(() => 0);
    const peer = this.peer(port);
    trial.streams.forEach((s, i) => {
      port.counters.opackets += tx[i];
      port.counters.obytes += tx[i] * s.def.frameSize;
      peer.counters.ipackets += rx[i];
      peer.counters.ibytes += rx[i] * s.def.frameSize;
      const fs = s.def.flowStats;
      if (fs) {
        const pg = this.pgid(fs.pgid);
        bump(pg.tp, port.id, tx[i]);
        bump(pg.tb, port.id, tx[i] * s.def.frameSize);
        bump(pg.rp, peer.id, rx[i]);
        bump(pg.rb, peer.id, rx[i] * s.def.frameSize);
        if (fs.ruleType === "latency" && rx[i] > 0) {
          const lat = outcome.latencyUs;
          const prev = pg.latency;
          pg.latency = {
            min: prev && prev.packets > 0 ? Math.min(prev.min, lat.min) : lat.min,
            max: prev ? Math.max(prev.max, lat.max) : lat.max,
            avg:
              prev && prev.packets > 0
                ? (prev.avg * prev.packets + lat.avg * rx[i]) / (prev.packets + rx[i])
                : lat.avg,
            dropped: (prev?.dropped ?? 0) + (tx[i] - rx[i]),
            packets: (prev?.packets ?? 0) + rx[i],
          };
        } else if (fs.ruleType === "latency" && pg.latency) {
          pg.latency.dropped += tx[i] - rx[i];
        }
      }
    });
    if (keepRunning) {
      trial.doneS += t;
    } else {
      profile.trial = null;
    }
  }

  private pgid(id: number): PgidCounters {
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
  private activePgids(): { flowStats: number[]; latency: number[] } {
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

  /** Live counters: committed + the running trials' share so far (pro rata). */
  private liveCounters(
    port: Port,
  ): Counters & { txPps: number; txBps: number; rxPps: number; rxBps: number } {
    const c = { ...port.counters, txPps: 0, txBps: 0, rxPps: 0, rxBps: 0 };
    const add = (from: Port, into: "tx" | "rx"): void => {
      for (const profile of from.profiles.values()) {
        const trial = profile.trial;
        if (!trial) continue;
        const t = Math.min(this.elapsedS(trial), trial.durationS);
        if (!Number.isFinite(t)) continue;
        const cap = capacityPps(this.opts.dut, trial.frameSize);
        const line = modelLineRatePps(this.opts.dut, trial.frameSize);
        const rEff = Math.min(trial.sendPps, line);
        const perStream = trial.streams.map((s) => Math.round(this.streamPackets(s, t)));
        const sent = perStream.reduce((a, b) => a + b, 0);
        const forwarded = from.linkUp
          ? Math.min(sent, Math.floor(cap * t) + this.opts.dut.bufferPackets)
          : 0;
        const rx = apportion(forwarded, perStream);
        trial.streams.forEach((s, i) => {
          if (into === "tx") {
            c.opackets += perStream[i];
            c.obytes += perStream[i] * s.def.frameSize;
          } else {
            c.ipackets += rx[i];
            c.ibytes += rx[i] * s.def.frameSize;
          }
        });
        if (trial.pausedAtS === null) {
          if (into === "tx") {
            c.txPps += rEff;
            c.txBps += rEff * trial.frameSize * 8;
          } else {
            c.rxPps += Math.min(rEff, cap);
            c.rxBps += Math.min(rEff, cap) * trial.frameSize * 8;
          }
        }
      }
    };
    add(port, "tx");
    add(this.peer(port), "rx");
    return c;
  }

  // ---------------------------------------------------------------- traffic

  private startTrial(
    port: Port,
    profile: Profile,
    mulType: string,
    mulValue: number,
    durationS: number,
    force: boolean,
  ): number {
    const speedBps = port.speedGbps * 1e9;
    const streams = [...profile.streams.values()].filter((s) => s.enabled && s.selfStart);
    const bases = streams.map((s) => baseRates(s, speedBps));
    const base = bases.reduce(
      (a, b) => ({ pps: a.pps + b.pps, bpsL1: a.bpsL1 + b.bpsL1, bpsL2: a.bpsL2 + b.bpsL2 }),
      { pps: 0, bpsL1: 0, bpsL2: 0 },
    );
    let factor: number;
    switch (mulType) {
      case "raw":
        factor = mulValue;
        break;
      case "bps":
        factor = mulValue / base.bpsL2;
        break;
      case "bpsl1":
        factor = mulValue / base.bpsL1;
        break;
      case "pps":
        factor = mulValue / base.pps;
        break;
      default: // percentage of the line, at L1
        factor = ((mulValue / 100) * speedBps) / base.bpsL1;
    }
    const expectedL1 = factor * base.bpsL1;
    if (!(expectedL1 > 0)) {
      throw executeErr(
        `Effective bandwidth is zero, this means that your dpdk driver does not know the link throughput (virtual), please use absolute bandwidth  ${formatG(expectedL1)}`,
      );
    }
    if (!(factor > 0)) throw executeErr(`Factor must be positive, got: ${formatG(factor)}`);
    if (!force) {
      if (expectedL1 / speedBps > 1.0001) {
        throw executeErr(
          `Expected L1 B/W: '${formatG(expectedL1 / 1e9)} Gbps' exceeds port line rate: '${formatG(speedBps / 1e9)} Gbps'`,
        );
      }
      factor = Math.min(factor, speedBps / base.bpsL1);
    }
    const offeredPps = factor * base.pps;
    const frameSize =
      streams.reduce((a, s, i) => a + bases[i].pps * s.frameSize, 0) / (base.pps || 1);
    const line = modelLineRatePps(this.opts.dut, frameSize);
    // With force above the line the port sends at line rate: every stream slows alike.
    const k = offeredPps > line ? line / offeredPps : 1;
    // A generator that cannot keep up sends the same packets over a longer time (as a software
    // TRex does): every stream slows alike and the duration stretches by the same factor.
    const linePps = offeredPps * k;
    const stretch = Math.max(1, linePps / generatorCeilingPps(this.opts.dut, frameSize));
    const trialStreams = streams.map((def, i) => {
      const ratePps = (factor * bases[i].pps * k) / stretch;
      const isgS = def.isgUs / 1e6;
      const m = def.mode;
      const endS =
        m.type === "continuous"
          ? Infinity
          : m.type === "single_burst"
            ? isgS + m.totalPkts / ratePps
            : isgS +
              (m.count * m.pktsPerBurst) / ratePps +
              (Math.max(0, m.count - 1) * m.ibgUs) / 1e6;
      return { def, ratePps, endS };
    });
    const allContinuous = trialStreams.every((s) => s.def.mode.type === "continuous");
    const lastEnd = Math.max(0, ...trialStreams.map((s) => s.endS));
    const limit = durationS > 0 ? durationS : Infinity;
    profile.trial = {
      streams: trialStreams,
      factor,
      sendPps: linePps / stretch,
      stretch,
      frameSize,
      allContinuous,
      durationS: Math.min(limit * stretch, lastEnd),
      startS: this.clock.nowS(),
      pausedS: 0,
      pausedAtS: null,
      doneS: 0,
    };
    this.scheduleEnd(profile.trial);
    return factor;
  }

  private scheduleEnd(trial: Trial): void {
    if (!Number.isFinite(trial.durationS) || trial.pausedAtS !== null) return;
    // At time scale 0 a trial ends when someone looks; there is no real time to wait for.
    if (this.clock.frozen) return;
    this.opts.schedule?.(this.clock.realMsAt(trialEndS(trial)));
  }

  // ---------------------------------------------------------------- methods

  private buildHandlers(): Record<string, Handler> {
    const h: Record<string, Handler> = {
      api_sync_v2: (p) => {
        const name = parseString(p, "name");
        const major = parseNumber(p, "major", "int");
        const minor = parseNumber(p, "minor", "int");
        if (name !== "STL") {
          throw executeErr(
            `RPC configuration mismatch - server RPC configuration: 'STL', client RPC configuration: '${name}'`,
          );
        }
        const detail = `\n(API type 'STL':  - server: '${API_MAJOR}.${API_MINOR}', client: '${major}.${minor}')`;
        if (major < API_MAJOR) {
          throw executeErr(`RPC version mismatch: a newer client version is required${detail}`);
        }
        if (major > API_MAJOR || minor > API_MINOR) {
          throw executeErr(
            `Version mismatch: your client version is too new to be supported by the server${detail}`,
          );
        }
        return { api_h: this.apiHandle };
      },
      api_sync: (p) => {
        const vers = parseArray(p, "api_vers");
        if (vers.length !== 1) throw parseErr("'api_vers' should be a list of size 1");
        checkElement(vers, 0, "object");
        const v = vers[0] as JsonObject;
        parseChoice(v, "type", ["core"] as const);
        const major = parseNumber(v, "major", "int");
        const minor = parseNumber(v, "minor", "int");
        return { api_vers: [{ type: "core", major, minor, api_h: this.apiHandle }] };
      },
      get_version: () => ({
        version: SERVER_VERSION,
        build_date: "Nov 20 2025",
        build_time: "00:00:00",
        built_by: "autotrex-emulator",
        mode: "STL",
      }),
      ping: () => ({ ts: this.clock.nowS() }),
      get_supported_cmds: () => this.methods,
      publish_now: (p) => {
        parseNumber(p, "key", "uint32");
        parseBool(p, "baseline");
        this.opts.onEvent?.();
        return {};
      },
      get_async_events: (p) => {
        const sessionId = parseNumber(p, "session_id", "uint32");
        const s = this.sessions.get(sessionId);
        if (!s) {
          this.addSession(sessionId, true);
          return { data: [] };
        }
        const data = s.events;
        s.events = [];
        s.lastPollMs = this.now();
        return { data };
      },
      get_system_info: () => ({
        hostname: hostname(),
        uptime: this.startedAt.toString(),
        dp_core_count: this.ports.length * DP_CORES_PER_PORT,
        dp_core_count_per_port: DP_CORES_PER_PORT * 2,
        core_type: "autotrex emulator",
        is_multiqueue_mode: false,
        advanced_per_stream_stats: true,
        port_count: this.ports.length,
        ports: this.ports.map((port) => ({
          index: port.id,
          driver: "net_autotrex_emu",
          pci_addr: `0000:00:${String(port.id).padStart(2, "0")}.0`,
          numa: 0,
          hw_mac: macOf(port.id),
          stack: "legacy",
          description: "autotrex emulated port",
          rx: { caps: ["flow_stats", "latency", "rx_bytes"], counters: 127 },
          is_fc_supported: false,
          is_led_supported: false,
          is_link_supported: false,
          is_prom_supported: true,
          is_vxlan_supported: false,
          is_ieee1588_supported: false,
          is_virtual: false,
          supp_speeds: [port.speedGbps * 1000],
          cores: [port.id],
        })),
      }),
      get_port_status: (p) => {
        const port = this.parsePort(p);
        optBool(p, "block", true);
        const profileId = parseProfile(p, "");
        const res: JsonObject = {
          owner: port.owner?.name ?? "",
          state: this.portStateName(port),
          service: port.service,
          service_filtered: false,
          profile_count: port.profiles.size,
          max_stream_id: this.maxStreamId(port),
          attr: {
            speed: port.linkUp ? port.speedGbps : 0,
            link: { up: port.linkUp },
            promiscuous: { enabled: port.promiscuous },
            multicast: { enabled: false },
            rx_filter_mode: "hw",
            vxlan_fs: [],
            fc: { mode: 0 },
            vlan: { tags: [] },
            layer_cfg: {
              ether: { src: macOf(port.id), dst: macOf(this.peer(port).id), state: "configured" },
              ipv4: { state: "none" },
              ipv6: { enabled: false },
            },
          },
          rx_info: {
            latency: { is_active: false },
            queue: { is_active: false },
            stack: { is_active: true },
            grat_arp: { is_active: false },
            capture_port: { is_active: false },
            capwap_proxy: { is_active: false },
          },
        };
        if (profileId !== "") {
          const sp: JsonObject = {};
          for (const profile of port.profiles.values()) {
            if (profileId === "*" || profileId === profile.id) {
              sp[profile.id] = this.profileState(profile);
            }
          }
          res.state_profile = sp;
        }
        return res;
      },
      get_owner: (p) => {
        const port = this.parsePort(p);
        return { owner: port.owner?.name ?? "<FREE>" };
      },
      get_port_xstats_names: (p) => {
        this.parsePort(p);
        return { xstats_names: XSTATS_NAMES };
      },
      get_port_xstats_values: (p) => {
        const c = this.liveCounters(this.parsePort(p));
        return {
          xstats_values: [c.ipackets, c.opackets, c.ibytes, c.obytes, 0, 0, 0],
        };
      },
      get_port_stats: (p) => {
        const c = this.liveCounters(this.parsePort(p));
        return {
          opackets: c.opackets,
          obytes: c.obytes,
          ipackets: c.ipackets,
          ibytes: c.ibytes,
          oerrors: 0,
          ierrors: 0,
          m_total_tx_bps: c.txBps,
          m_total_tx_pps: c.txPps,
          m_total_rx_bps: c.rxBps,
          m_total_rx_pps: c.rxPps,
          m_cpu_util: c.txPps > 0 ? 10 : 0,
        };
      },
      get_global_stats: () => {
        const all = this.ports.map((port) => this.liveCounters(port));
        const sum = (f: (c: (typeof all)[number]) => number): number =>
          all.reduce((a, c) => a + f(c), 0);
        const txPps = sum((c) => c.txPps);
        return {
          m_cpu_util: txPps > 0 ? 10 : 0,
          m_cpu_util_raw: txPps > 0 ? 10 : 0,
          m_bw_per_core: 0,
          m_rx_cpu_util: 0,
          m_rx_core_pps: 0,
          m_platform_factor: 1,
          m_tx_bps: sum((c) => c.txBps),
          m_rx_bps: sum((c) => c.rxBps),
          m_tx_pps: txPps,
          m_rx_pps: sum((c) => c.rxPps),
          m_tx_cps: 0,
          m_tx_expected_cps: 0,
          m_tx_expected_pps: txPps,
          m_tx_expected_bps: sum((c) => c.txBps),
          m_total_alloc_error: 0,
          m_total_queue_full: 0,
          m_total_queue_drop: 0,
          m_rx_drop_bps: Math.max(0, sum((c) => c.txBps) - sum((c) => c.rxBps)),
          m_active_flows: 0,
          m_open_flows: 0,
          m_total_tx_pkts: sum((c) => c.opackets),
          m_total_rx_pkts: sum((c) => c.ipackets),
          m_total_tx_bytes: sum((c) => c.obytes),
          m_total_rx_bytes: sum((c) => c.ibytes),
          m_total_clients: 0,
          m_total_servers: 0,
          m_active_sockets: 0,
          m_socket_util: 0,
          m_total_nat_time_out: 0,
          m_total_nat_time_out_wait_ack: 0,
          m_total_nat_no_fid: 0,
          m_total_nat_active: 0,
          m_total_nat_syn_wait: 0,
          m_total_nat_open: 0,
          m_total_nat_learn_error: 0,
        };
      },
      get_utilization: () => ({ cpu: [], mbuf_stats: {} }),
      get_async_results: (p) => {
        const ticketId = parseNumber(p, "ticket_id", "uint64");
        const ticket = this.tickets.get(ticketId);
        if (!ticket) throw new RpcError(RPC_ERR.noResults, "No results for request");
        if (ticket.polls > 0) {
          ticket.polls--;
          throw new RpcError(RPC_ERR.workInProgress, "Work in progress", String(ticketId));
        }
        this.tickets.delete(ticketId);
        if (ticket.error) throw ticket.error;
        return ticket.result ?? null;
      },
      cancel_async_task: (p) => {
        this.tickets.delete(parseNumber(p, "ticket_id", "uint64"));
        return {};
      },
      set_port_attr: (p) => {
        const port = this.parsePort(p);
        const attr = parseObject(p, "attr");
        for (const name of Object.keys(attr)) {
          if (name === "promiscuous") port.promiscuous = parseBool(attr[name], "enabled");
          else if (name === "multicast") parseBool(attr[name], "enabled");
          else if (name === "link_status") parseBool(attr[name], "up");
          else if (name === "led_status") parseBool(attr[name], "on");
          else if (name === "flow_ctrl_mode") parseNumber(attr[name], "mode", "int");
          else if (name === "vxlan_fs")
            throw executeErr("VXLAN flow stats are relevant only to stateless mode");
          else throw executeErr(`unknown attribute type: '${name}'`);
        }
        return {};
      },
      set_rx_feature: (p) => {
        const port = this.parsePort(p);
        const type = parseChoice(p, "type", ["queue", "server", "capwap_proxy"] as const);
        const enabled = parseBool(p, "enabled");
        if (type === "queue" && enabled) {
          parseNumber(p, "size", "uint32");
          if (!port.service)
            throw executeErr("setting RX queue is only available under service mode");
        }
        return {};
      },
      capture: (p) => {
        const cmd = parseChoice(p, "command", [
          "start",
          "stop",
          "fetch",
          "status",
          "remove",
        ] as const);
        if (cmd === "status") return [];
        if (cmd === "remove" || cmd === "stop" || cmd === "fetch") {
          const id = parseNumber(p, "capture_id", "uint32");
          throw executeErr(`unable to find capture ID ${id}`);
        }
        throw executeErr("capture is not supported by the autotrex emulator");
      },
      service: (p) => {
        const port = this.parsePort(p);
        const enabled = parseBool(p, "enabled");
        optBool(p, "filtered", false);
        optNumber(p, "mask", "byte", 0);
        port.service = enabled;
        return {};
      },
      acquire: (p) => {
        const port = this.parsePort(p);
        const user = parseString(p, "user");
        const force = parseBool(p, "force");
        const sessionId = parseNumber(p, "session_id", "uint32");
        const usedForce = port.owner !== null && force;
        if (port.owner === null || force) {
          port.owner = { name: user, sessionId, handler: randomHandle() };
        } else if (port.owner.name !== user) {
          throw executeErr(`port is already taken by '${port.owner.name}'`);
        } else if (port.owner.sessionId !== sessionId) {
          throw executeErr(`port is already owned by another session of '${user}'`);
        }
        this.queueEvent(5, {
          port_id: port.id,
          who: user,
          session_id: sessionId,
          force: usedForce,
        });
        this.addSession(sessionId, false);
        return port.owner.handler;
      },
      release: (p) => {
        const port = this.parsePort(p);
        const owner = port.owner!;
        port.owner = null;
        this.queueEvent(6, { port_id: port.id, who: owner.name, session_id: owner.sessionId });
        const s = this.sessions.get(owner.sessionId);
        if (s) s.reader = true;
        return {};
      },
      get_tpg_status: (p) => {
        const hasUser = !isAbsent(p, "username");
        const hasPort = !isAbsent(p, "port_id");
        if (hasUser === hasPort) {
          throw parseErr("Exactly one of username/port_id must be provided.");
        }
        if (hasUser) parseString(p, "username");
        else this.parsePort(p);
        return {
          enabled: false,
          data: { acquired_ports: [], rx_ports: [], username: "-", num_tpgids: 0, num_tags: 0 },
        };
      },
      disable_tpg: (p) => {
        parseString(p, "username");
        return {};
      },
      get_active_pgids: () => {
        const ids = this.activePgids();
        return { ids: { flow_stats: ids.flowStats, latency: ids.latency } };
      },
      get_pgid_stats: (p) => this.pgidStats(p),
      get_profile_list: (p) => [...this.parsePort(p).profiles.keys()],
      get_stream_list: (p) => {
        const port = this.parsePort(p);
        const profileId = parseProfile(p);
        if (profileId === "*") {
          const out: JsonObject = {};
          for (const profile of port.profiles.values())
            out[profile.id] = [...profile.streams.keys()];
          return out;
        }
        return [...(port.profiles.get(profileId)?.streams.keys() ?? [])];
      },
      get_all_streams: (p): JsonObject => {
        const port = this.parsePort(p);
        const profileId = parseProfile(p);
        const streamsOf = (profile: Profile): JsonObject =>
          Object.fromEntries([...profile.streams.values()].map((s) => [String(s.id), s.json]));
        if (profileId === "*") {
          const profiles: JsonObject = {};
          for (const profile of port.profiles.values()) {
            if (profile.streams.size > 0) profiles[profile.id] = streamsOf(profile);
          }
          return { profiles };
        }
        const profile = port.profiles.get(profileId);
        return { streams: profile ? streamsOf(profile) : {} };
      },
      get_stream: (p) => {
        const port = this.parsePort(p);
        const profileId = parseProfile(p);
        const getPkt = parseBool(p, "get_pkt");
        const streamId = parseNumber(p, "stream_id", "uint32");
        const profile = port.profiles.get(profileId);
        if (!profile) throw executeErr(`profile_id ${profileId} does not exists`);
        const s = profile.streams.get(streamId);
        if (!s) {
          throw executeErr(
            `stream id ${streamId}, profile id ${profileId} on port ${port.id} does not exists`,
          );
        }
        const json: JsonObject = { ...s.json };
        if (!getPkt) delete json.packet;
        return { stream: json };
      },
      add_stream: (p) => {
        const port = this.parsePort(p);
        const profileId = parseProfile(p);
        const streamId = parseNumber(p, "stream_id", "uint32");
        const section = parseObject(p, "stream");
        const def = parseStream(section, streamId, DP_CORES_PER_PORT * 2);
        const existing = port.profiles.get(profileId);
        if (existing?.streams.has(streamId)) {
          throw executeErr(`stream ${streamId} already exists in profile_id(${profileId})`);
        }
        const profile = existing ?? { id: profileId, streams: new Map(), trial: null };
        const state = this.profileState(profile);
        if (state !== "IDLE" && state !== "STREAMS") throw this.stateError("add_stream", profile);
        const total = [...port.profiles.values()].reduce((a, pr) => a + pr.streams.size, 0);
        if (total >= MAX_STREAMS_PER_PORT) {
          throw executeErr(`Reached limit of ${MAX_STREAMS_PER_PORT} streams at the port.`);
        }
        if (def.flowStats && !this.activePgidSet().has(def.flowStats.pgid)) {
          // A pg id that comes back after it was gone restarts its counters.
          this.pgids.delete(def.flowStats.pgid);
          this.pgid(def.flowStats.pgid);
        }
        profile.streams.set(streamId, def);
        port.profiles.set(profileId, profile);
        return {};
      },
      remove_stream: (p) => {
        const port = this.parsePort(p);
        const profileId = parseProfile(p);
        const streamId = parseNumber(p, "stream_id", "uint32");
        const profile = port.profiles.get(profileId);
        if (!profile?.streams.has(streamId)) {
          throw executeErr(`stream ${streamId} does not exists in profile_id(${profileId})`);
        }
        if (this.profileState(profile) !== "STREAMS")
          throw this.stateError("remove_stream", profile);
        profile.streams.delete(streamId);
        return {};
      },
      remove_all_streams: (p) => {
        const port = this.parsePort(p);
        const profileId = parseProfile(p);
        const profile = port.profiles.get(profileId);
        if (profile) {
          const state = this.profileState(profile);
          if (state === "TX" || state === "PAUSE") {
            throw this.stateError("remove_and_delete_all_streams", profile);
          }
          profile.streams.clear();
        }
        return {};
      },
      start_traffic: (p) => {
        const port = this.parsePort(p);
        const profileId = parseProfile(p);
        const durationS = parseNumber(p, "duration", "double");
        const force = parseBool(p, "force");
        const coreMask = isAbsent(p, "core_mask")
          ? ALL_CORES
          : (memberMeta(p, "core_mask")?.big ?? BigInt(parseNumber(p, "core_mask", "uint64")));
        if (!isAbsent(p, "core_mask")) parseNumber(p, "core_mask", "uint64");
        optNumber(p, "start_at_ts", "double", 0);
        const coreCount = DP_CORES_PER_PORT * 2;
        if ((coreMask & ((1n << BigInt(coreCount)) - 1n)) === 0n) {
          throw parseErr(
            `core_mask: '0x${coreMask.toString(16)}' for ${coreCount} cores generates an empty set`,
          );
        }
        const mul = parseObject(p, "mul");
        const type = parseChoice(mul, "type", MULTIPLIER_TYPES);
        const op = parseString(mul, "op");
        const value = parseNumber(mul, "value", "unsigned double");
        if (value === 0) throw parseErr("multiplier can't be zero");
        if (op !== "abs") throw parseErr("start message can only specify absolute speed rate");
        const ts = this.clock.nowS();
        const profile = port.profiles.get(profileId);
        if (!profile) throw executeErr(`profile_id ${profileId} does not exists`);
        if (this.profileState(profile) !== "STREAMS") throw this.stateError("start", profile);
        if (!port.linkUp && !force) throw executeErr("Link state is DOWN.");
        const wasTx = this.isTransmitting(port);
        const factor = this.startTrial(port, profile, type, value, durationS, force);
        this.queueEvent(10, { port_id: port.id, profile_id: profile.id });
        if (!wasTx) this.queueEvent(0, { port_id: port.id });
        return { multiplier: factor, ts };
      },
      stop_traffic: (p) => {
        const port = this.parsePort(p);
        const profileId = parseProfile(p);
        const targets =
          profileId === "*" ? [...port.profiles.values()] : [port.profiles.get(profileId)];
        if (profileId !== "*" && !targets[0])
          throw executeErr(`profile_id ${profileId} does not exists`);
        for (const profile of targets) {
          if (!profile?.trial) continue;
          this.finishTrial(port, profile, this.elapsedS(profile.trial));
          this.queueEvent(11, { port_id: port.id, profile_id: profile.id });
          if (!this.isTransmitting(port)) this.queueEvent(1, { port_id: port.id });
        }
        return {};
      },
      pause_traffic: (p) => {
        const port = this.parsePort(p);
        const profile = this.profileOrThrow(port, parseProfile(p));
        const trial = profile.trial;
        if (!trial || trial.pausedAtS !== null) throw this.stateError("pause", profile);
        if (!trial.allContinuous) {
          throw executeErr(" pause is supported when all streams are in continues mode ");
        }
        if (Number.isFinite(trial.durationS)) {
          throw executeErr(" pause is supported when duration is not enable is start command ");
        }
        trial.pausedAtS = this.clock.nowS();
        this.queueEvent(12, { port_id: port.id, profile_id: profile.id });
        this.queueEvent(2, { port_id: port.id });
        return {};
      },
      resume_traffic: (p) => {
        const port = this.parsePort(p);
        const profile = this.profileOrThrow(port, parseProfile(p));
        const trial = profile.trial;
        if (!trial || trial.pausedAtS === null) throw this.stateError("resume", profile);
        trial.pausedS += this.clock.nowS() - trial.pausedAtS;
        trial.pausedAtS = null;
        this.queueEvent(13, { port_id: port.id, profile_id: profile.id });
        this.queueEvent(3, { port_id: port.id });
        return {};
      },
      update_traffic: (p) => {
        const port = this.parsePort(p);
        const profile = this.profileOrThrow(port, parseProfile(p));
        const force = parseBool(p, "force");
        const mul = parseObject(p, "mul");
        const type = parseChoice(mul, "type", MULTIPLIER_TYPES);
        const op = parseChoice(mul, "op", ["abs", "add", "sub"] as const);
        const value = parseNumber(mul, "value", "unsigned double");
        const trial = profile.trial;
        if (!trial) throw this.stateError("update", profile);
        if (op !== "abs") {
          throw executeErr("the autotrex emulator supports only absolute rates in update_traffic");
        }
        // Commit what was sent so far, then continue the same trial at the new rate.
        const now = this.clock.nowS();
        const done = Math.min(this.elapsedS(trial), trial.durationS);
        const remaining = trial.durationS - done;
        const paused = trial.pausedAtS !== null;
        this.finishTrial(port, profile, done, true);
        profile.trial = null;
        try {
          // The rest of the trial in requested seconds, stretched again at the new rate.
          const rest = remaining / trial.stretch;
          const factor = this.startTrial(port, profile, type, value, rest, force);
          if (paused) profile.trial!.pausedAtS = now;
          return { multiplier: factor };
        } catch (err) {
          // Refused: the old rate goes on for the rest of the trial.
          Object.assign(trial, { startS: now, pausedS: 0, durationS: remaining });
          if (paused) trial.pausedAtS = now;
          profile.trial = trial;
          this.scheduleEnd(trial);
          throw err;
        }
      },
      remove_rx_filters: (p) => {
        const port = this.parsePort(p);
        const profile = this.profileOrThrow(port, parseProfile(p));
        if (this.profileState(profile) !== "STREAMS")
          throw this.stateError("remove_rx_filters", profile);
        return {};
      },
    };
    return h;
  }

  private profileOrThrow(port: Port, id: string): Profile {
    const profile = this.getProfile(port, id);
    if (!profile) throw executeErr(`profile_id ${id} does not exists`);
    return profile;
  }

  private activePgidSet(): Set<number> {
    const ids = this.activePgids();
    return new Set([...ids.flowStats, ...ids.latency]);
  }

  private maxStreamId(port: Port): number {
    let max = 0;
    for (const profile of port.profiles.values()) {
      for (const id of profile.streams.keys()) max = Math.max(max, id);
    }
    return max;
  }

  private pgidStats(p: JsonObject): JsonValue {
    const list = parseArray(p, "pgids");
    const ids: number[] = [];
    for (const v of list) {
      if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffffffff) ids.push(v);
      else if (v === null || typeof v === "boolean") ids.push(v ? 1 : 0);
      else if (typeof v === "number") throw executeErr("double out of UInt range");
      else throw executeErr("Value is not convertible to UInt.");
    }
    const active = this.activePgidSet();
    if (ids.length > MAX_PGIDS_PER_QUERY) {
      throw executeErr(
        `Too many packet group IDs requested. Requested ${ids.length}. Max allowed is ${MAX_PGIDS_PER_QUERY}`,
      );
    }
    const wanted = ids.length > 0 ? ids : [...active];
    const latencyIds = new Set(this.activePgids().latency);
    const flow: JsonObject = {};
    const lat: JsonObject = { g: {} };
    const ver: JsonObject = {};
    for (const id of wanted) {
      if (!active.has(id)) continue;
      const pg = this.pgid(id);
      const key = String(id);
      ver[key] = pg.ver;
      const perPort = (m: Map<number, number>): JsonObject =>
        Object.fromEntries(this.ports.map((port) => [String(port.id), m.get(port.id) ?? 0]));
      const zeros = Object.fromEntries(this.ports.map((port) => [String(port.id), 0]));
      flow[key] = {
        tp: perPort(pg.tp),
        tb: perPort(pg.tb),
        rp: perPort(pg.rp),
        rb: perPort(pg.rb),
        tps: zeros,
        tbs: zeros,
        rps: zeros,
        rbs: zeros,
      };
      if (latencyIds.has(id)) {
        const l = pg.latency;
        const entry: JsonObject = {
          lat: l
            ? {
                average: l.avg,
                total_max: Math.ceil(l.max),
                total_min: Math.floor(l.min),
                last_max: Math.ceil(l.max),
                histogram: { [String(histogramBucket(l.avg))]: l.packets },
                jit: Math.round(l.max - l.avg),
              }
            : { average: 0, total_max: 0, total_min: 0, last_max: 0, histogram: {}, jit: 0 },
        };
        if (l && l.dropped > 0) entry.er = { drp: l.dropped };
        lat[key] = entry;
      }
    }
    const any = Object.keys(ver).length > 0;
    return { flow_stats: any ? flow : null, latency: lat, ver_id: any ? ver : null };
  }
}

/** Model time at which a trial with an end is over. */
function trialEndS(trial: Trial): number {
  return trial.startS + trial.pausedS + trial.durationS;
}

/** TRex's latency histogram buckets: 10 µs steps below 100, then decades. */
function histogramBucket(us: number): number {
  if (us < 10) return 0;
  const decade = 10 ** Math.floor(Math.log10(us));
  return Math.floor(us / decade) * decade;
}

function macOf(portId: number): string {
  return `00:00:00:01:00:${portId.toString(16).padStart(2, "0")}`;
}

function bump(m: Map<number, number>, key: number, by: number): void {
  m.set(key, (m.get(key) ?? 0) + by);
}

/**
 * Splits an integer total over parts in proportion to `weights` (largest remainder), so the
 * parts are integers that add up to the total.
 */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (weights.length === 0) return [];
  if (sum <= 0) return weights.map((_, i) => (i === 0 ? total : 0));
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; left > 0 && k < order.length; k++, left--) parts[order[k][1]]++;
  return parts;
}

export { RPC_ERR, RpcError, asString };
