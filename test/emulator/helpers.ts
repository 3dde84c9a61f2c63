/** A bare JSON-RPC peer over a real ZMQ REQ socket, for talking to the emulator in tests. */
import { Request, Subscriber } from "zeromq";
import { compressMessage, decompressMessage, ZIP_MAGIC } from "../../src/emulator/index.ts";

export interface RpcReply {
  id: unknown;
  jsonrpc: string;
  result?: unknown;
  error?: { code: number; message: string; specific_err?: string };
}

export class RpcPeer {
  private sock: Request;
  private nextId = 1;

  constructor(
    readonly url: string,
    readonly timeoutMs = 5000,
  ) {
    this.sock = this.open();
  }

  private open(): Request {
    const sock = new Request({
      receiveTimeout: this.timeoutMs,
      sendTimeout: this.timeoutMs,
      linger: 0,
    });
    sock.connect(this.url);
    return sock;
  }

  /** After a lost reply a REQ socket is stuck: replace it. */
  reopen(): void {
    this.sock.close();
    this.sock = this.open();
  }

  close(): void {
    this.sock.close();
  }

  /** Sends raw bytes, returns the raw reply bytes. */
  async raw(payload: Buffer | string): Promise<Buffer> {
    await this.sock.send(payload);
    const [reply] = await this.sock.receive();
    return reply;
  }

  /** Sends a JSON value (optionally compressed) and parses the reply (inflating if framed). */
  async send(value: unknown, zip = false): Promise<unknown> {
    const text = Buffer.from(JSON.stringify(value));
    const reply = await this.raw(zip ? compressMessage(text) : text);
    return parseReply(reply);
  }

  async call(method: string, params: Record<string, unknown> = {}, zip = false): Promise<RpcReply> {
    return (await this.send(
      { jsonrpc: "2.0", id: this.nextId++, method, params },
      zip,
    )) as RpcReply;
  }

  /** Calls and expects success; returns the result. */
  async ok<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const r = await this.call(method, params);
    if (r.error) throw new Error(`${method}: ${r.error.message}: ${r.error.specific_err ?? ""}`);
    return r.result as T;
  }

  async batch(calls: Array<[string, Record<string, unknown>]>, zip = false): Promise<RpcReply[]> {
    const body = calls.map(([method, params]) => ({
      jsonrpc: "2.0",
      id: this.nextId++,
      method,
      params,
    }));
    const r = await this.send(body, zip);
    return Array.isArray(r) ? (r as RpcReply[]) : [r as RpcReply];
  }
}

export function parseReply(reply: Buffer): unknown {
  if (reply.length >= 8 && reply.readUInt32BE(0) === ZIP_MAGIC) {
    const inflated = decompressMessage(reply);
    if (!inflated || inflated.length !== reply.readUInt32BE(4))
      throw new Error("bad compressed reply");
    return JSON.parse(inflated.toString("utf8"));
  }
  return JSON.parse(reply.toString("utf8"));
}

/** A client session: api handle, acquired ports and their handlers. */
export interface Session {
  peer: RpcPeer;
  apiH: string;
  handlers: Record<number, string>;
  sessionId: number;
  /** Calls with api_h added. */
  ok<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T>;
  call(method: string, params?: Record<string, unknown>): Promise<RpcReply>;
  /** Owned call on a port: adds api_h, port_id and handler. */
  onPort<T = unknown>(port: number, method: string, params?: Record<string, unknown>): Promise<T>;
}

export async function openSession(
  url: string,
  opts: { user?: string; ports?: number[]; sessionId?: number } = {},
): Promise<Session> {
  const peer = new RpcPeer(url);
  const { api_h: apiH } = await peer.ok<{ api_h: string }>("api_sync_v2", {
    name: "STL",
    major: 5,
    minor: 1,
  });
  const sessionId = opts.sessionId ?? 4242;
  const s: Session = {
    peer,
    apiH,
    handlers: {},
    sessionId,
    ok: (method, params = {}) => peer.ok(method, { ...params, api_h: apiH }),
    call: (method, params = {}) => peer.call(method, { ...params, api_h: apiH }),
    onPort: (port, method, params = {}) =>
      peer.ok(method, { ...params, api_h: apiH, port_id: port, handler: s.handlers[port] }),
  };
  for (const port of opts.ports ?? []) {
    s.handlers[port] = await s.ok<string>("acquire", {
      port_id: port,
      user: opts.user ?? "tester",
      force: false,
      session_id: sessionId,
    });
  }
  return s;
}

/** Ethernet/IPv4/UDP frame of `frameSize` bytes on the wire (FCS included), base64. */
export function packetOfFrameSize(frameSize: number): string {
  const pkt = Buffer.alloc(frameSize - 4);
  pkt.writeUInt16BE(0x0800, 12);
  pkt[14] = 0x45;
  pkt.writeUInt16BE(frameSize - 4 - 14, 16);
  pkt[23] = 17;
  return pkt.toString("base64");
}

export function stream(opts: {
  frameSize?: number;
  pps?: number;
  mode?: Record<string, unknown>;
  flowStats?: Record<string, unknown>;
  binary?: string;
}): Record<string, unknown> {
  return {
    enabled: true,
    self_start: true,
    start_paused: false,
    isg: 0,
    next_stream_id: -1,
    core_id: -1,
    flags: 0,
    action_count: 0,
    random_seed: 0,
    mode: opts.mode ?? { type: "continuous", rate: { type: "pps", value: opts.pps ?? 1 } },
    packet: { binary: opts.binary ?? packetOfFrameSize(opts.frameSize ?? 64), meta: "" },
    vm: { instructions: [] },
    flow_stats: opts.flowStats ?? { enabled: false },
  };
}

/** Drains events of a session until `want` types were seen (polling, bounded). */
export async function waitForEvents(
  s: Session,
  want: number[],
  timeoutMs = 5000,
): Promise<Array<{ type: number; data: Record<string, unknown>; seq: number }>> {
  const seen: Array<{ type: number; data: Record<string, unknown>; seq: number }> = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await s.ok<{ data: typeof seen }>("get_async_events", { session_id: s.sessionId });
    seen.push(...r.data);
    const types = seen.map((e) => e.type);
    if (want.every((t) => types.includes(t))) return seen;
    await new Promise((res) => setTimeout(res, 5));
  }
  throw new Error(`events ${want.join(",")} not seen; got ${seen.map((e) => e.type).join(",")}`);
}

export function subscribe(url: string): Subscriber {
  const sub = new Subscriber({ receiveTimeout: 5000, linger: 0 });
  sub.connect(url);
  sub.subscribe();
  return sub;
}
