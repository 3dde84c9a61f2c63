/**
 * Item 5's fuzz test: ≥ 10 000 seeded random and mutated requests, every one answered with a
 * well-formed reply, then a normal session still works.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DUT_PRESETS, capacityPps } from "../../src/emulator/dut-model.ts";
import { compressMessage, startEmulator, type RunningEmulator } from "../../src/emulator/index.ts";
import { SeededRandom } from "../../src/emulator/random.ts";
import { openSession, parseReply, RpcPeer, stream } from "./helpers.ts";

const REQUESTS = 10_000;

let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ rpcPort: 0, asyncPort: 0, timeScale: 0, seed: 11 });
});
afterAll(async () => {
  await emu.stop();
});

class Gen {
  constructor(private readonly rnd: SeededRandom) {}
  int(n: number): number {
    return Math.floor(this.rnd.uniform() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.rnd.uniform() < p;
  }
  scalar(): unknown {
    return this.pick([
      () => null,
      () => true,
      () => false,
      () => this.int(300) - 20,
      () => this.rnd.uniform() * 1e10,
      () => -this.rnd.uniform(),
      () => 2 ** 64,
      () => 4294967296,
      () => "",
      () => "_",
      () => "*",
      () => "x".repeat(this.int(40)),
      () => String.fromCharCode(...Array.from({ length: this.int(8) }, () => this.int(0x3000))),
    ])();
  }
  value(depth = 0): unknown {
    if (depth > 3 || this.chance(0.5)) return this.scalar();
    if (this.chance(0.5)) return Array.from({ length: this.int(4) }, () => this.value(depth + 1));
    return Object.fromEntries(
      Array.from({ length: this.int(4) }, () => [
        this.pick(["id", "method", "params", "port_id", "x", "stream"]),
        this.value(depth + 1),
      ]),
    );
  }
  /** Replaces, deletes or adds one member somewhere in the object tree. */
  mutate(v: unknown): unknown {
    if (typeof v !== "object" || v === null) return this.chance(0.5) ? this.value() : v;
    const copy: Record<string, unknown> | unknown[] = Array.isArray(v)
      ? [...v]
      : { ...(v as object) };
    const keys = Object.keys(copy);
    if (keys.length === 0 || this.chance(0.15)) {
      (copy as Record<string, unknown>)[this.pick(["zz", "0", "api_h", "handler", "duration"])] =
        this.value();
      return copy;
    }
    const k = this.pick(keys);
    const rec = copy as Record<string, unknown>;
    const r = this.rnd.uniform();
    if (r < 0.2) delete rec[k];
    else if (r < 0.55) rec[k] = this.value();
    else rec[k] = this.mutate(rec[k]);
    return copy;
  }
  mangleText(text: string): string {
    const chars = [...text];
    for (let i = this.int(4) + 1; i > 0; i--) {
      const at = this.int(chars.length + 1);
      const op = this.int(3);
      if (op === 0) chars.splice(at, 1);
      else if (op === 1)
        chars.splice(
          at,
          0,
          this.pick(['"', "{", "}", "[", "]", ",", ":", "\\", "0", "-", "e", "\u0000", "/*"]),
        );
      else chars[at] = String.fromCharCode(this.int(128));
    }
    return chars.join("");
  }
}

describe("fuzz", () => {
  it(`answers ${REQUESTS} random and mutated requests, then serves a normal session`, async () => {
    const s = await openSession(emu.rpcUrl, { ports: [0, 1], user: "fuzzer", sessionId: 77 });
    await s.onPort(0, "add_stream", { stream_id: 1, stream: stream({}) });
    const h = { api_h: s.apiH };
    const port = (p: number) => ({ ...h, port_id: p, handler: s.handlers[p] });
    const templates: Array<[string, Record<string, unknown>]> = [
      ["ping", {}],
      ["get_version", {}],
      ["api_sync_v2", { name: "STL", major: 5, minor: 1 }],
      ["get_system_info", h],
      ["get_supported_cmds", h],
      ["publish_now", { ...h, key: 5, baseline: false }],
      ["get_async_events", { ...h, session_id: 77, user: "sub" }],
      ["get_port_status", { ...h, port_id: 0, profile_id: "*", block: false }],
      ["get_port_stats", { ...h, port_id: 1 }],
      ["get_port_xstats_values", { ...h, port_id: 0 }],
      ["get_global_stats", h],
      ["acquire", { ...h, port_id: 1, user: "fuzzer", force: false, session_id: 77 }],
      ["get_all_streams", { ...h, port_id: 0, profile_id: "*" }],
      [
        "add_stream",
        {
          ...port(0),
          profile_id: "_",
          stream_id: 2,
          stream: stream({ flowStats: { enabled: true, stream_id: 3, rule_type: "latency" } }),
        },
      ],
      ["remove_stream", { ...port(0), stream_id: 2 }],
      [
        "start_traffic",
        {
          ...port(0),
          profile_id: "_",
          duration: 5,
          force: false,
          mul: { type: "pps", op: "abs", value: 1000 },
          core_mask: 2 ** 64,
          start_at_ts: 0,
        },
      ],
      ["stop_traffic", { ...port(0), profile_id: "*" }],
      ["pause_traffic", port(0)],
      ["update_traffic", { ...port(0), force: false, mul: { type: "pps", op: "abs", value: 10 } }],
      ["get_pgid_stats", { ...h, pgids: [3, 4] }],
      ["get_active_pgids", h],
      ["set_port_attr", { ...h, port_id: 0, attr: { promiscuous: { enabled: false } } }],
      ["set_rx_feature", { ...h, port_id: 0, type: "queue", enabled: false }],
      ["capture", { ...h, command: "status" }],
      ["service", { ...port(1), enabled: false, filtered: false }],
      ["get_tpg_status", { ...h, port_id: 0 }],
      ["remove_rx_filters", { ...port(0), profile_id: "_" }],
      ["get_stream", { ...h, port_id: 0, stream_id: 1, get_pkt: true }],
    ];
    const g = new Gen(new SeededRandom(20240601));
    const fuzz = new RpcPeer(emu.rpcUrl, 5000);
    let nextId = 1;
    const request = (): Buffer => {
      const kind = g.int(10);
      if (kind === 0) return Buffer.from(Array.from({ length: g.int(200) }, () => g.int(256)));
      if (kind === 1) return Buffer.from(JSON.stringify(g.value()) ?? "null");
      const [method, params] = g.pick(templates);
      let req: unknown = { jsonrpc: "2.0", id: nextId++, method, params };
      for (let i = g.int(3); i > 0; i--) req = g.mutate(req);
      if (g.chance(0.1))
        req = [
          req,
          g.mutate({ jsonrpc: "2.0", id: nextId++, method: g.pick(templates)[0], params: h }),
        ];
      let text = JSON.stringify(req) ?? "null";
      if (kind === 2) text = g.mangleText(text);
      const body = Buffer.from(text);
      if (g.chance(0.3)) {
        const zipped = compressMessage(body);
        if (g.chance(0.2)) zipped.writeUInt32BE(g.int(body.length + 2), 4); // lie about the length
        if (g.chance(0.1)) return zipped.subarray(0, g.int(zipped.length));
        return zipped;
      }
      return body;
    };
    const started = performance.now();
    let errors = 0;
    const internal: unknown[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const reply = await fuzz.raw(request()); // throws on a missing reply (5 s timeout)
      const body = parseReply(reply) as { jsonrpc?: string; error?: unknown } | unknown[] | null;
      for (const r of (Array.isArray(body) ? body : [body]) as Array<{
        jsonrpc?: string;
        error?: { message: string };
      } | null>) {
        if (r === null) continue;
        expect(r.jsonrpc).toBe("2.0");
        if (r.error) errors++;
        // "Internal Server Error" would be a bug of the emulator, not of the request.
        if (r.error?.message === "Internal Server Error") internal.push(r);
      }
    }
    const wallMs = performance.now() - started;
    expect(internal).toEqual([]);
    console.log(
      `fuzz: ${REQUESTS} requests answered (${errors} errors) in ${wallMs.toFixed(0)} ms`,
    );
    fuzz.close();
    s.peer.close();

    // A normal session afterwards (force: the fuzzer may hold the ports).
    const after = await openSession(emu.rpcUrl, { user: "after", sessionId: 5 });
    try {
      for (const p of [0, 1]) {
        after.handlers[p] = await after.ok("acquire", {
          port_id: p,
          user: "after",
          force: true,
          session_id: 5,
        });
        await after.onPort(p, "stop_traffic", { profile_id: "*" });
        await after.onPort(p, "remove_all_streams");
      }
      await after.onPort(0, "add_stream", { stream_id: 1, stream: stream({ frameSize: 64 }) });
      const tx0 = await after.ok<{ opackets: number }>("get_port_stats", { port_id: 0 });
      const rx0 = await after.ok<{ ipackets: number }>("get_port_stats", { port_id: 1 });
      await after.onPort(0, "start_traffic", {
        duration: 10,
        force: false,
        mul: { type: "pps", op: "abs", value: 5e6 },
      });
      for (let i = 0; i < 100 && emu.portState(0).state === "TX"; i++)
        await new Promise((r) => setTimeout(r, 5));
      const tx1 = await after.ok<{ opackets: number }>("get_port_stats", { port_id: 0 });
      const rx1 = await after.ok<{ ipackets: number }>("get_port_stats", { port_id: 1 });
      const c = capacityPps(DUT_PRESETS.default, 64);
      expect(tx1.opackets - tx0.opackets).toBe(50_000_000);
      expect(rx1.ipackets - rx0.ipackets).toBe(Math.min(50_000_000, Math.floor(c * 10) + 4096));
    } finally {
      after.peer.close();
    }
  }, 120_000);
});
