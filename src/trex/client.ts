/**
 * A typed client of TRex's stateless (STL) interactive server, talking the same JSON-RPC the
 * Python STLClient talks (see docs/trex-protocol.md §7), minus its display and service
 * features.
 *
 * Waiting for the end of traffic polls get_port_status (block:false) with a short, growing
 * interval until no port is in TX/PAUSE: no SUB socket and no per-session event queue to drain
 * (TRex drops a session's events if it does not poll them within 10 s), and it ends as soon as
 * the server says so, so an accelerated emulator answers a 30 s trial in milliseconds.
 */
import { userInfo } from "node:os";
import { randomInt } from "node:crypto";
import {
  parsePgidStats,
  parsePortStats,
  rxMissedOf,
  type PgidStats,
  type PortCounters,
} from "./counters.ts";
import {
  PortOwnedError,
  TrexError,
  TrexRpcError,
  TrexTimeoutError,
  TrexVersionError,
} from "./errors.ts";
import { isObject, toNumber, type Json } from "./json.ts";
import { streamJson, type StreamDefinition } from "./streams.ts";
import { RpcTransport, type RpcCall } from "./transport.ts";
import {
  API_MAJOR,
  API_MINOR,
  API_NAME,
  DEFAULT_PROFILE_ID,
  DEFAULT_RPC_PORT,
} from "./protocol.ts";

export const DEFAULT_TIMEOUT_MS = 3000;
/** Re-sends of a read-only request after a lost reply (the Python client waits 4 × 3 s). */
export const DEFAULT_RETRIES = 3;
export { API_NAME, API_MAJOR, API_MINOR, DEFAULT_RPC_PORT };
const PROFILE = DEFAULT_PROFILE_ID;

export type PortState = "IDLE" | "STREAMS" | "TX" | "PAUSE" | "PCAP_TX" | (string & {});

export interface PortInfo {
  portId: number;
  /** Link speed, bits per second. */
  speedBps: number;
  linkUp: boolean;
  /**
   * The port has a destination MAC: L2 with one configured, or L3 with its gateway resolved
   * by ARP (as `is_resolved` of TRex's Python client reads `attr.layer_cfg`). An unresolved
   * port refuses to start streams that do not carry their own destination MAC.
   */
  resolved: boolean;
  /** "" when nobody owns the port (at the time it was read). */
  owner: string;
  state: PortState;
  driver?: string;
  description?: string;
  pciAddr?: string;
  hwMac?: string;
  numa?: number;
  isVirtual: boolean;
  /** e.g. flow_stats, latency, rx_bytes. */
  rxCaps: string[];
}

export interface ConnectOptions {
  /** "host", "host:port" or "tcp://host:port"; port 4501 by default. */
  server: string;
  /** Owner name shown to other TRex users; the login name by default. */
  user?: string;
  /** Per request, default 3000. */
  timeoutMs?: number;
  /** Re-sends of a read-only request after a lost reply, default 3. */
  retries?: number;
  /** Requests of this size or more are zlib-compressed (see transport.ts); 0 = all, as Python. */
  compressThresholdBytes?: number;
}

export interface WaitOptions {
  /** Give up after this long (TrexTimeoutError); no limit by default. */
  timeoutMs?: number;
  /**
   * Longest interval between two polls once the traffic is due to end, default
   * END_POLL_MS: it bounds how much the measured transmit time can overstate the real one.
   */
  pollMs?: number;
  /** The server's time when the traffic started (start()'s answer), s. */
  startedAtS?: number;
  /** When the traffic is due to end, server seconds after the start: polls before are sparse. */
  expectedS?: number;
  /**
   * Stop the ports if they still transmit this long after the start, server seconds, and wait
   * for them to go idle: a generator that cannot keep up would otherwise take rate x duration packets'
   * time (a 1 s trial of 9216 B frames on a software TRex took 150 s).
   */
  stopAfterS?: number;
  signal?: AbortSignal;
}

/** Poll interval near the end of traffic, ms (see WaitOptions.pollMs). */
export const END_POLL_MS = 10;
/** Longest sleep between two polls while traffic is far from its end, ms. */
const FAR_POLL_MS = 250;
/** Fastest server clock the polling follows: an emulator at time scale 0.001. */
const MAX_CLOCK_RATE = 1000;

/**
 * Where the server's clock stands since the traffic started, and how fast it runs against
 * ours (1 for a real TRex; 1 / time scale for the emulator). Without a start time: our own.
 */
function serverClock(
  startedAtS: number | undefined,
  serverTimeS: number,
  waitedMs: number,
): { elapsedS: number; rate: number; known: boolean } {
  if (startedAtS === undefined) return { elapsedS: waitedMs / 1000, rate: 1, known: true };
  const elapsedS = serverTimeS - startedAtS;
  if (!(waitedMs >= 1 && elapsedS > 0)) return { elapsedS, rate: 1, known: false };
  const rate = (elapsedS * 1000) / waitedMs;
  return { elapsedS, rate: Math.min(MAX_CLOCK_RATE, Math.max(1, rate)), known: true };
}

/**
 * When traffic ended by the server's clock (ping `ts`), s: between the last poll that still saw
 * a port transmitting (absent when the first poll found them idle) and the first that did not.
 */
export interface TrafficEnd {
  lastBusyAtS?: number;
  endedAtS: number;
  /** True when the ports were stopped at `stopAfterS`, before their traffic was done. */
  stopped: boolean;
}

/** "host[:port]" or "tcp://host:port" → "tcp://host:port". */
export function normalizeAddress(server: string): string {
  const text = server.trim().replace(/^tcp:\/\//, "");
  const m = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d+))?$/.exec(text);
  if (!m || (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535))) {
    throw new TrexError(`bad TRex server address '${server}' (expected host[:port])`);
  }
  return `tcp://${m[1]}:${m[2] ?? DEFAULT_RPC_PORT}`;
}

function defaultUser(): string {
  try {
    return process.env.USER || userInfo().username || "autotrex";
  } catch {
    return "autotrex";
  }
}

const ACTIVE_STATES = new Set(["TX", "PAUSE", "PCAP_TX"]);

function obj(v: Json | undefined, what: string): { [key: string]: Json } {
  if (!isObject(v)) throw new TrexError(`unexpected reply: ${what} is not an object`);
  return v;
}

function str(v: Json | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Port states from get_port_status replies, in the ports' order (further replies ignored). */
function statesOf(ports: number[], replies: Json[]): Map<number, PortState> {
  return new Map(
    ports.map((p, i) => [p, str(obj(replies[i], `get_port_status of port ${p}`).state) ?? ""]),
  );
}

/** trex_port.py `is_resolved`: L3 unless ipv4.state is "none"; no layer_cfg reads as resolved. */
function isResolved(layerCfg: Json | undefined): boolean {
  if (!isObject(layerCfg)) return true;
  const state = (key: string): string | undefined => {
    const part = layerCfg[key];
    return isObject(part) ? str(part.state) : undefined;
  };
  const ipv4 = state("ipv4");
  if (ipv4 !== undefined && ipv4 !== "none") return ipv4 !== "unresolved";
  return state("ether") !== "unconfigured";
}

/** The owner named by TRex's acquire refusal (trex_port.cpp), if it is one. */
export function ownerFromRefusal(message: string): string | undefined {
  const taken = /port is already taken by '(.*)'/.exec(message);
  if (taken) return taken[1];
  const session = /already owned by another session of '(.*)'/.exec(message);
  if (session) return `${session[1]} (another session)`;
  return undefined;
}

export class TrexClient {
  private readonly handlers = new Map<number, string>();
  private readonly nextStreamId = new Map<number, number>();
  private portList: PortInfo[];
  private closed = false;
  private readonly xstatsNames = new Map<number, string[] | undefined>();

  private constructor(
    private readonly rpc: RpcTransport,
    private readonly apiH: string,
    readonly serverVersion: string,
    readonly user: string,
    /** TRex's per-client session id: a random non-zero u32, as trex_ctx.py picks it. */
    readonly sessionId: number,
    ports: PortInfo[],
  ) {
    this.portList = ports;
  }

  /** tcp://host:port of the server's sync RPC socket. */
  get address(): string {
    return this.rpc.address;
  }

  /** Ports as read at connect (or the last refreshPorts()). */
  get ports(): ReadonlyArray<PortInfo> {
    return this.portList;
  }

  /** Ports this client holds. */
  get acquiredPorts(): number[] {
    return [...this.handlers.keys()];
  }

  /** Diagnostics: request messages sent (a batch is one) and sockets replaced after a timeout. */
  get transportStats(): { messagesSent: number; recreatedSockets: number } {
    return { messagesSent: this.rpc.messagesSent, recreatedSockets: this.rpc.recreatedSockets };
  }

  /**
   * Connects and checks the API version, then reads the system info and each port's status.
   * TrexConnectionError when nothing answers within the timeout, TrexVersionError when the
   * server speaks another API.
   */
  static async connect(opts: ConnectOptions): Promise<TrexClient> {
    const address = normalizeAddress(opts.server);
    const rpc = new RpcTransport(address, {
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      retries: opts.retries ?? DEFAULT_RETRIES,
      compressThresholdBytes: opts.compressThresholdBytes,
    });
    try {
      let apiH: string;
      try {
        const r = obj(
          await rpc.call({
            method: "api_sync_v2",
            params: { name: API_NAME, major: API_MAJOR, minor: API_MINOR },
          }),
          "api_sync_v2",
        );
        apiH = str(r.api_h) ?? "";
        if (!apiH) throw new TrexError("api_sync_v2 returned no api_h");
      } catch (err) {
        if (err instanceof TrexRpcError) {
          // -32601: a server without api_sync_v2 (what Python reports as a version mismatch).
          const detail =
            err.code === -32601
              ? "the server does not know api_sync_v2"
              : (err.specificErr ?? err.rpcMessage);
          throw new TrexVersionError(
            `TRex at ${address} does not speak ${API_NAME} API ${API_MAJOR}.${API_MINOR}: ${detail}`,
          );
        }
        throw err;
      }
      const [version, system] = await rpc.batchOk([
        { method: "get_version", params: { api_h: apiH } },
        { method: "get_system_info", params: { api_h: apiH } },
      ]);
      const v = obj(version, "get_version");
      if (v.mode !== undefined && v.mode !== API_NAME) {
        throw new TrexVersionError(
          `TRex at ${address} runs in ${String(v.mode)} mode; stateless (STL) is needed (start it with -i)`,
        );
      }
      const sys = obj(system, "get_system_info");
      const sysPorts = Array.isArray(sys.ports) ? sys.ports.filter(isObject) : [];
      const ports = await TrexClient.readPorts(rpc, apiH, sysPorts);
      return new TrexClient(
        rpc,
        apiH,
        str(v.version) ?? "unknown",
        opts.user ?? defaultUser(),
        randomInt(1, 0xffffffff),
        ports,
      );
    } catch (err) {
      rpc.close();
      throw err;
    }
  }

  private static async readPorts(
    rpc: RpcTransport,
    apiH: string,
    sysPorts: Array<{ [key: string]: Json }>,
  ): Promise<PortInfo[]> {
    const ids = sysPorts.map((p) => toNumber(p.index, "get_system_info: port index"));
    const statuses = await rpc.batchOk(
      ids.map((portId) => ({
        method: "get_port_status",
        params: { api_h: apiH, port_id: portId, block: false },
        portId,
      })),
    );
    return sysPorts.map((p, i) => {
      const status = obj(statuses[i], `get_port_status of port ${ids[i]}`);
      const attr = isObject(status.attr) ? status.attr : {};
      const link = isObject(attr.link) ? attr.link : {};
      const rx = isObject(p.rx) ? p.rx : {};
      return {
        portId: ids[i],
        // attr.speed is in Gb/s.
        speedBps: Math.round(toNumber(attr.speed, `port ${ids[i]} attr.speed`) * 1e9),
        linkUp: link.up !== false,
        resolved: isResolved(attr.layer_cfg),
        owner: str(status.owner) ?? "",
        state: str(status.state) ?? "IDLE",
        driver: str(p.driver),
        description: str(p.description),
        pciAddr: str(p.pci_addr),
        hwMac: str(p.hw_mac),
        numa: typeof p.numa === "number" ? p.numa : undefined,
        isVirtual: p.is_virtual === true,
        rxCaps: Array.isArray(rx.caps) ? rx.caps.filter((c) => typeof c === "string") : [],
      };
    });
  }

  /** Reads the ports' status (owner, state, speed) again. */
  async refreshPorts(): Promise<ReadonlyArray<PortInfo>> {
    const r = obj(await this.call("get_system_info"), "get_system_info");
    const sysPorts = Array.isArray(r.ports) ? r.ports.filter(isObject) : [];
    this.portList = await TrexClient.readPorts(this.rpc, this.apiH, sysPorts);
    return this.portList;
  }

  private check(): void {
    if (this.closed) throw new TrexError(`the client of ${this.address} is disconnected`);
  }

  private req(method: string, params: Record<string, unknown> = {}, portId?: number): RpcCall {
    return { method, params: { ...params, api_h: this.apiH }, portId };
  }

  private call(method: string, params: Record<string, unknown> = {}): Promise<Json> {
    this.check();
    return this.rpc.call(this.req(method, params));
  }

  /** A call on a port this client owns: api_h, handler and port_id added. */
  private owned(portId: number, method: string, params: Record<string, unknown> = {}): RpcCall {
    const handler = this.handlers.get(portId);
    if (handler === undefined) {
      throw new TrexError(`port ${portId} is not acquired by this client (acquire it first)`);
    }
    return this.req(method, { ...params, port_id: portId, handler }, portId);
  }

  private batch(calls: RpcCall[]): Promise<Json[]> {
    this.check();
    return this.rpc.batchOk(calls);
  }

  /**
   * Takes ownership of ports, in one round trip. A port owned by someone else is never taken
   * silently: PortOwnedError names the owner unless `force` is set (which evicts them and stops
   * their traffic). If one port fails, the ports acquired by this call are released again.
   */
  async acquire(ports: number[], opts: { force?: boolean } = {}): Promise<void> {
    this.check();
    const force = opts.force === true;
    const calls = ports.map((portId) =>
      this.req(
        "acquire",
        { port_id: portId, user: this.user, session_id: this.sessionId, force },
        portId,
      ),
    );
    const statusCalls = ports.map((portId) =>
      this.req("get_port_status", { port_id: portId, block: false }, portId),
    );
    // Safe to re-send after a lost reply: the same session re-acquiring keeps its port.
    const outcomes = await this.rpc.batch([...calls, ...statusCalls], { idempotent: true });
    const newly: number[] = [];
    let failure: Error | undefined;
    ports.forEach((portId, i) => {
      const o = outcomes[i];
      if (o.ok && typeof o.result === "string" && o.result !== "") {
        if (!this.handlers.has(portId)) newly.push(portId);
        this.handlers.set(portId, o.result);
        const status = outcomes[ports.length + i];
        const maxId =
          status.ok && isObject(status.result) && typeof status.result.max_stream_id === "number"
            ? status.result.max_stream_id
            : 0;
        this.nextStreamId.set(portId, maxId + 1);
        return;
      }
      if (failure) return;
      if (o.ok) {
        failure = new TrexError(`acquire of port ${portId} returned no handler`);
        return;
      }
      const text = o.error.specificErr ?? o.error.rpcMessage;
      const named = ownerFromRefusal(text);
      const status = outcomes[ports.length + i];
      const owner =
        status.ok && isObject(status.result) && typeof status.result.owner === "string"
          ? status.result.owner
          : "";
      failure = named !== undefined ? new PortOwnedError(portId, owner || named) : o.error;
    });
    if (failure) {
      if (newly.length > 0) await this.release(newly).catch(() => undefined);
      throw failure;
    }
  }

  /** Gives ports back (all this client holds by default), in one round trip. */
  async release(ports: number[] = this.acquiredPorts): Promise<void> {
    const held = ports.filter((p) => this.handlers.has(p));
    if (held.length === 0) return;
    const outcomes = await this.rpc.batch(held.map((p) => this.owned(p, "release")));
    let failure: TrexRpcError | undefined;
    held.forEach((p, i) => {
      const o = outcomes[i];
      if (o.ok) this.handlers.delete(p);
      else failure ??= o.error;
    });
    if (failure) throw failure;
  }

  /**
   * Brings ports back to a clean state in one round trip: traffic stopped, every stream of
   * the default profile removed (with their flow-stats rules), RX queue capture off — what
   * STLClient.reset() does to the server, minus its force-acquire.
   */
  async reset(ports: number[]): Promise<void> {
    // Service mode off last, as STLClient.reset(): a port a previous user left in service mode
    // refuses streams with flow stats (latency).
    const calls = ports.flatMap((p) => [
      this.owned(p, "stop_traffic", { profile_id: "*" }),
      this.owned(p, "remove_all_streams", { profile_id: PROFILE }),
      this.req("set_rx_feature", { port_id: p, type: "queue", enabled: false }, p),
      this.owned(p, "service", { enabled: false, filtered: false }),
    ]);
    await this.batch(calls);
    for (const p of ports) this.nextStreamId.set(p, 1);
  }

  /** Adds streams to a port's default profile in one round trip; returns their stream ids. */
  async addStreams(portId: number, streams: StreamDefinition[]): Promise<number[]> {
    if (streams.length === 0) return [];
    const first = this.nextStreamId.get(portId) ?? 1;
    const ids = streams.map((_, i) => first + i);
    const calls = streams.map((s, i) =>
      this.owned(portId, "add_stream", {
        profile_id: PROFILE,
        stream_id: ids[i],
        stream: streamJson(s, `stream ${s.name ?? i}`),
      }),
    );
    // Ids are taken even if some adds fail: the ones that succeeded stay on the server.
    this.nextStreamId.set(portId, first + streams.length);
    await this.batch(calls);
    return ids;
  }

  async removeAllStreams(portId: number): Promise<void> {
    await this.batch([this.owned(portId, "remove_all_streams", { profile_id: PROFILE })]);
    this.nextStreamId.set(portId, 1);
  }

  /**
   * Starts each port's streams at `totalPps` in total per port (each stream gets its share of
   * its rateShare), for `durationS` seconds (Infinity = until stop), all ports in one request.
   * Without `force` the server refuses rates above line rate. Returns the server's time just
   * before the first port started, s.
   */
  async start(
    ports: number[],
    opts: { totalPps: number; durationS: number; force?: boolean },
  ): Promise<number> {
    if (!Number.isFinite(opts.totalPps) || opts.totalPps <= 0) {
      throw new RangeError(`start: totalPps must be a positive number, got ${opts.totalPps}`);
    }
    if (!(opts.durationS > 0)) {
      throw new RangeError(`start: durationS must be positive, got ${opts.durationS}`);
    }
    // core_mask is omitted: 2^64-1 (what Python sends) has no exact JS number; absent = all cores.
    const replies = await this.batch(
      ports.map((portId) =>
        this.owned(portId, "start_traffic", {
          profile_id: PROFILE,
          mul: { type: "pps", op: "abs", value: opts.totalPps },
          duration: Number.isFinite(opts.durationS) ? opts.durationS : -1,
          force: opts.force === true,
          start_at_ts: 0,
        }),
      ),
    );
    return Math.min(
      ...replies.map((r, i) => toNumber(obj(r, "start_traffic").ts, `port ${ports[i]} start ts`)),
    );
  }

  /** Stops all traffic on the ports, in one round trip. */
  async stop(ports: number[]): Promise<void> {
    if (ports.length === 0) return;
    await this.batch(ports.map((p) => this.owned(p, "stop_traffic", { profile_id: "*" })));
  }

  /** State of each port as the server reports it now, in one round trip. */
  async portStates(ports: number[]): Promise<Map<number, PortState>> {
    return statesOf(ports, await this.batch(this.statusCalls(ports)));
  }

  private statusCalls(ports: number[]): RpcCall[] {
    return ports.map((p) => this.req("get_port_status", { port_id: p, block: false }, p));
  }

  /**
   * Resolves once none of the ports transmits any more (duration over, bursts done, or
   * stopped), judged by the server's port state, with the server's time around the end (a ping
   * in each poll). Polls sparsely until `expectedS` after the call, then every `pollMs`; the
   * first poll comes at once, so an accelerated emulator answers in a moment.
   */
  async waitOnTraffic(ports: number[], opts: WaitOptions = {}): Promise<TrafficEnd> {
    const started = performance.now();
    const pollMs = opts.pollMs ?? END_POLL_MS;
    let lastBusyAtS: number | undefined;
    let stopped = false;
    for (;;) {
      opts.signal?.throwIfAborted();
      const { states, serverTimeS } = await this.statesWithTime(ports);
      if ([...states.values()].every((s) => !ACTIVE_STATES.has(s))) {
        const busy = lastBusyAtS === undefined ? {} : { lastBusyAtS };
        return { ...busy, endedAtS: serverTimeS, stopped };
      }
      lastBusyAtS = serverTimeS;
      const waited = performance.now() - started;
      const clock = serverClock(opts.startedAtS, serverTimeS, waited);
      if (!stopped && opts.stopAfterS !== undefined && clock.elapsedS >= opts.stopAfterS) {
        await this.stop(ports);
        stopped = true;
        continue;
      }
      if (opts.timeoutMs !== undefined && waited >= opts.timeoutMs) {
        const busy = [...states].filter(([, s]) => ACTIVE_STATES.has(s)).map(([p]) => p);
        throw new TrexTimeoutError(
          `wait_on_traffic (ports ${busy.join(", ")} still transmitting)`,
          opts.timeoutMs,
          1,
          this.address,
        );
      }
      // Intervals are set on the server's clock: an accelerated emulator is polled as finely,
      // in its own seconds, as a real server.
      const untilEndMs = (((opts.expectedS ?? 0) - clock.elapsedS) * 1000) / clock.rate;
      const fineMs = pollMs / clock.rate;
      // Until the clock's pace is known (a millisecond in), poll again at once.
      let next = !clock.known
        ? 1
        : untilEndMs > 2 * fineMs
          ? Math.min(untilEndMs / 2, FAR_POLL_MS)
          : fineMs;
      if (opts.timeoutMs !== undefined) next = Math.min(next, opts.timeoutMs - waited);
      await sleep(Math.max(0, next), opts.signal);
    }
  }

  /** Port states and the server's clock, in one round trip. */
  private async statesWithTime(
    ports: number[],
  ): Promise<{ states: Map<number, PortState>; serverTimeS: number }> {
    const replies = await this.batch([...this.statusCalls(ports), this.req("ping")]);
    const serverTimeS = toNumber(obj(replies[ports.length], "ping").ts, "ping ts");
    return { states: statesOf(ports, replies), serverTimeS };
  }

  /**
   * Cumulative counters of the ports, with their receive-path drops (rx_missed_errors), read in
   * one round trip (one consistent snapshot). A server without xstats gives rxMissed null.
   */
  async portCounters(ports: number[]): Promise<Map<number, PortCounters>> {
    const names = await this.xstatsNamesOf(ports);
    const stats = ports.map((p) => this.req("get_port_stats", { port_id: p }, p));
    const xstats = ports.map((p) => this.req("get_port_xstats_values", { port_id: p }, p));
    this.check();
    const outcomes = await this.rpc.batch([...stats, ...xstats]);
    return new Map(
      ports.map((p, i) => {
        const [st, x] = [outcomes[i], outcomes[ports.length + i]];
        if (!st.ok) throw st.error;
        const missed = x.ok ? rxMissedOf(names.get(p), x.result) : null;
        return [p, parsePortStats(p, st.result, missed)];
      }),
    );
  }

  /** The ports' xstats names (fixed while the server runs): asked once, kept. */
  private async xstatsNamesOf(ports: number[]): Promise<Map<number, string[] | undefined>> {
    const unknown = ports.filter((p) => !this.xstatsNames.has(p));
    if (unknown.length > 0) {
      this.check();
      const outcomes = await this.rpc.batch(
        unknown.map((p) => this.req("get_port_xstats_names", { port_id: p }, p)),
      );
      unknown.forEach((p, i) => {
        const r = outcomes[i];
        const list = r.ok && isObject(r.result) ? r.result.xstats_names : undefined;
        this.xstatsNames.set(p, Array.isArray(list) ? list.map(String) : undefined);
      });
    }
    return new Map(ports.map((p) => [p, this.xstatsNames.get(p)]));
  }

  /** Flow statistics and latency of packet groups (streams with flowStats). */
  async pgidStats(pgIds: number[]): Promise<PgidStats> {
    return parsePgidStats(await this.call("get_pgid_stats", { pgids: pgIds }));
  }

  /** Round trip to the server; returns its time in seconds. */
  async ping(): Promise<number> {
    const r = obj(await this.call("ping"), "ping");
    return toNumber(r.ts, "ping ts");
  }

  /**
   * Stops traffic on and releases every port this client holds, then closes the socket —
   * even when those requests fail (the first failure is thrown after closing). Each request
   * gets one attempt, and a server that does not answer the stop is not asked to release.
   */
  async disconnect(): Promise<void> {
    if (this.closed) return;
    let failure: unknown;
    try {
      const held = this.acquiredPorts;
      if (held.length > 0) {
        const once = { idempotent: false };
        const stops = held.map((p) => this.owned(p, "stop_traffic", { profile_id: "*" }));
        const stopped = await this.rpc.batch(stops, once).catch((err: unknown) => {
          failure = err;
          return undefined;
        });
        if (stopped) {
          for (const o of stopped) if (!o.ok) failure ??= o.error;
          await this.release(held);
        }
      }
    } catch (err) {
      failure ??= err;
    } finally {
      this.closed = true;
      this.rpc.close();
    }
    if (failure !== undefined) throw failure;
  }
}
