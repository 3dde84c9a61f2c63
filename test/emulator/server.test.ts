/** The emulator over real ZMQ sockets: handshake, ownership, streams, trials, stats, framing. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DUT_PRESETS, DutModel, modelLineRatePps } from "../../src/emulator/dut-model.ts";
import {
  compressMessage,
  portModelSeed,
  startEmulator,
  type RunningEmulator,
} from "../../src/emulator/index.ts";
import {
  openSession,
  parseReply,
  RpcPeer,
  stream,
  subscribe,
  waitForEvents,
  type Session,
} from "./helpers.ts";

let emu: RunningEmulator;
const SEED = 7;

beforeAll(async () => {
  emu = await startEmulator({ rpcPort: 0, asyncPort: 0, timeScale: 0, seed: SEED });
});
afterAll(async () => {
  await emu.stop();
});

/** Starts port 0's streams as they are (raw × 1, no duration) and waits until they ended. */
async function runProfileToEnd(s: Session): Promise<void> {
  await s.onPort(0, "start_traffic", {
    duration: -1,
    force: false,
    mul: { type: "raw", op: "abs", value: 1 },
  });
  await waitForEvents(s, [14, 4]);
}

/** Leaves port 0 as found: no streams, not owned, the session closed. */
async function leavePort0(s: Session): Promise<void> {
  await s.onPort(0, "remove_all_streams");
  await s.onPort(0, "release");
  s.peer.close();
}

describe("handshake", () => {
  it("answers api_sync_v2 with an api handle and checks versions", async () => {
    const peer = new RpcPeer(emu.rpcUrl);
    try {
      const ok = await peer.ok<{ api_h: string }>("api_sync_v2", {
        name: "STL",
        major: 5,
        minor: 1,
      });
      expect(ok.api_h).toMatch(/^[A-Za-z0-9]{8}$/);
      const old = await peer.call("api_sync_v2", { name: "STL", major: 4, minor: 9 });
      expect(old.error).toEqual({
        code: -32000,
        message: "Failed To Execute Method",
        specific_err:
          "RPC version mismatch: a newer client version is required\n(API type 'STL':  - server: '5.1', client: '4.9')",
      });
      const tooNew = await peer.call("api_sync_v2", { name: "STL", major: 5, minor: 2 });
      expect(tooNew.error?.specific_err).toMatch(
        /^Version mismatch: your client version is too new/,
      );
      const astf = await peer.call("api_sync_v2", { name: "ASTF", major: 2, minor: 0 });
      expect(astf.error?.specific_err).toBe(
        "RPC configuration mismatch - server RPC configuration: 'STL', client RPC configuration: 'ASTF'",
      );
      const version = await peer.ok<{ version: string; mode: string }>("get_version");
      expect(version.mode).toBe("STL");
    } finally {
      peer.close();
    }
  });

  it("describes its ports: two 10 Gb/s ports, idle and free", async () => {
    const s = await openSession(emu.rpcUrl);
    try {
      const info = await s.ok<{
        port_count: number;
        ports: Array<{ index: number; is_prom_supported: boolean }>;
      }>("get_system_info");
      expect(info.port_count).toBe(2);
      expect(info.ports.map((p) => p.index)).toEqual([0, 1]);
      const status = await s.ok<{
        state: string;
        owner: string;
        attr: { speed: number; link: { up: boolean } };
        state_profile: Record<string, string>;
      }>("get_port_status", { port_id: 1, profile_id: "*", block: false });
      expect(status.attr.speed).toBe(10);
      expect(status.attr.link.up).toBe(true);
      expect(status.state).toBe("IDLE");
      expect(status.owner).toBe("");
      expect(status.state_profile).toEqual({ _: "IDLE" });
      const cmds = await s.ok<string[]>("get_supported_cmds");
      expect(cmds).toEqual(
        expect.arrayContaining(["get_profile_list", "start_traffic", "publish_now"]),
      );
    } finally {
      s.peer.close();
    }
  });
});

describe("ownership", () => {
  it("acquires, refuses other owners with their name, forces and releases", async () => {
    const alice = await openSession(emu.rpcUrl, { user: "alice", ports: [0], sessionId: 11 });
    const bob = await openSession(emu.rpcUrl, { user: "bob", sessionId: 22 });
    const alice2 = await openSession(emu.rpcUrl, { user: "alice", sessionId: 33 });
    try {
      expect(alice.handlers[0]).toMatch(/^[A-Za-z0-9]{8}$/);
      expect(emu.portState(0).owner).toBe("alice");
      const again = await alice.ok("acquire", {
        port_id: 0,
        user: "alice",
        force: false,
        session_id: 11,
      });
      expect(again).toBe(alice.handlers[0]);
      const taken = await bob.call("acquire", {
        port_id: 0,
        user: "bob",
        force: false,
        session_id: 22,
      });
      expect(taken.error?.specific_err).toBe("port is already taken by 'alice'");
      const other = await alice2.call("acquire", {
        port_id: 0,
        user: "alice",
        force: false,
        session_id: 33,
      });
      expect(other.error?.specific_err).toBe("port is already owned by another session of 'alice'");
      const stranger = await bob.call("remove_all_streams", { port_id: 0, handler: "ABCDEFGH" });
      expect(stranger.error?.specific_err).toBe(
        "port is not owned by you or your current executing session",
      );
      const free = await bob.call("remove_all_streams", { port_id: 1, handler: "ABCDEFGH" });
      expect(free.error?.specific_err).toBe("please acquire the port before modifying port state");

      const forced = await bob.ok<string>("acquire", {
        port_id: 0,
        user: "bob",
        force: true,
        session_id: 22,
      });
      expect(forced).not.toBe(alice.handlers[0]);
      expect(emu.portState(0).owner).toBe("bob");
      const events = await waitForEvents(alice, [5]);
      expect(events.filter((e) => e.type === 5).at(-1)?.data).toEqual({
        port_id: 0,
        who: "bob",
        session_id: 22,
        force: true,
      });
      const stale = await alice.call("release", { port_id: 0, handler: alice.handlers[0] });
      expect(stale.error?.specific_err).toBe(
        "port is not owned by you or your current executing session",
      );
      await bob.ok("release", { port_id: 0, handler: forced });
      expect(emu.portState(0)).toEqual({ owner: "", state: "IDLE" });
      const owner = await bob.ok("get_owner", { port_id: 0 });
      expect(owner).toEqual({ owner: "<FREE>" });
    } finally {
      for (const s of [alice, bob, alice2]) s.peer.close();
    }
  });
});

describe("streams and trials", () => {
  it("adds 254 streams in one batch, echoes them and refuses a duplicate id", async () => {
    const s = await openSession(emu.rpcUrl, { ports: [0] });
    try {
      const calls: Array<[string, Record<string, unknown>]> = Array.from(
        { length: 254 },
        (_, i) => [
          "add_stream",
          {
            api_h: s.apiH,
            handler: s.handlers[0],
            port_id: 0,
            profile_id: "_",
            stream_id: i + 1,
            stream: stream({ frameSize: 64 + i }),
          },
        ],
      );
      const replies = await s.peer.batch(calls, true);
      expect(replies).toHaveLength(254);
      expect(replies.every((r) => r.error === undefined && JSON.stringify(r.result) === "{}")).toBe(
        true,
      );
      const status = await s.ok<{ state: string; max_stream_id: number }>("get_port_status", {
        port_id: 0,
        block: false,
      });
      expect(status).toMatchObject({ state: "STREAMS", max_stream_id: 254 });
      const all = await s.ok<{ profiles: Record<string, Record<string, unknown>> }>(
        "get_all_streams",
        { port_id: 0, profile_id: "*" },
      );
      expect(Object.keys(all.profiles._)).toHaveLength(254);
      expect(all.profiles._["3"]).toEqual(stream({ frameSize: 66 }));
      const dup = await s.call("add_stream", {
        port_id: 0,
        handler: s.handlers[0],
        stream_id: 3,
        stream: stream({}),
      });
      expect(dup.error?.specific_err).toBe("stream 3 already exists in profile_id(_)");
      await s.onPort(0, "remove_all_streams", { profile_id: "_" });
      expect(emu.portState(0).state).toBe("IDLE");
    } finally {
      await s.onPort(0, "release");
      s.peer.close();
    }
  });

  it("runs a 30 s trial at time scale 0 with counters exactly the DUT model's, cumulatively", async () => {
    const model = new DutModel(DUT_PRESETS.default, portModelSeed(SEED, 0));
    const s = await openSession(emu.rpcUrl, { ports: [0, 1], sessionId: 99 });
    try {
      const before0 = await s.ok<Record<string, number>>("get_port_stats", { port_id: 0 });
      const before1 = await s.ok<Record<string, number>>("get_port_stats", { port_id: 1 });
      await s.onPort(0, "add_stream", { stream_id: 1, stream: stream({ frameSize: 64 }) });
      await s.ok("get_async_events", { session_id: 99 });
      for (const ratePps of [10e6, 2e6]) {
        const expected = model.trial({ ratePps, durationS: 30, frameSize: 64 });
        const started = await s.onPort<{ multiplier: number }>(0, "start_traffic", {
          duration: 30,
          force: false,
          mul: { type: "pps", op: "abs", value: ratePps },
        });
        expect(started.multiplier).toBe(ratePps);
        const events = await waitForEvents(s, [14, 4]);
        expect(events.map((e) => e.type)).toEqual([10, 0, 14, 4]);
        expect(events[2].data).toEqual({ port_id: 0, profile_id: "_" });
        expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => events[0].seq + i));
        expect(emu.portState(0).state).toBe("STREAMS");
        const tx = await s.ok<Record<string, number>>("get_port_stats", { port_id: 0 });
        const rx = await s.ok<Record<string, number>>("get_port_stats", { port_id: 1 });
        expect(tx.opackets - before0.opackets).toBe(expected.txPackets);
        expect(tx.obytes - before0.obytes).toBe(expected.txPackets * 64);
        expect(rx.ipackets - before1.ipackets).toBe(expected.rxPackets);
        expect(rx.ibytes - before1.ibytes).toBe(expected.rxPackets * 64);
        expect(tx.m_total_tx_pps).toBe(0);
        Object.assign(before0, tx);
        Object.assign(before1, rx);
      }
    } finally {
      await s.onPort(0, "remove_all_streams");
      await s.onPort(0, "release");
      await s.onPort(1, "release");
      s.peer.close();
    }
  });

  it("refuses a rate above the line without force, clamps a hair above, sends at line rate with force", async () => {
    const s = await openSession(emu.rpcUrl, { ports: [0] });
    const line = modelLineRatePps(DUT_PRESETS.default, 64);
    try {
      await s.onPort(0, "add_stream", { stream_id: 1, stream: stream({ frameSize: 64 }) });
      const over = await s.call("start_traffic", {
        port_id: 0,
        handler: s.handlers[0],
        duration: 10,
        force: false,
        mul: { type: "pps", op: "abs", value: 15e6 },
      });
      expect(over.error).toEqual({
        code: -32000,
        message: "Failed To Execute Method",
        specific_err: "Expected L1 B/W: '10.08 Gbps' exceeds port line rate: '10 Gbps'",
      });
      const hair = await s.onPort<{ multiplier: number }>(0, "start_traffic", {
        duration: 1,
        force: false,
        mul: { type: "pps", op: "abs", value: line * 1.00005 },
      });
      expect(hair.multiplier).toBeCloseTo(line, 3);
      await s.onPort(0, "stop_traffic");
      const before = await s.ok<{ opackets: number }>("get_port_stats", { port_id: 0 });
      const forced = await s.onPort<{ multiplier: number }>(0, "start_traffic", {
        duration: 10,
        force: true,
        mul: { type: "pps", op: "abs", value: 20e6 },
      });
      expect(forced.multiplier).toBe(20e6);
      await waitForEvents(s, [14, 4]);
      const after = await s.ok<{ opackets: number }>("get_port_stats", { port_id: 0 });
      expect(after.opackets - before.opackets).toBe(Math.round(line * 10));
    } finally {
      await leavePort0(s);
    }
  });
});

describe("multipliers, bursts and pg-id statistics", () => {
  let emu2: RunningEmulator;
  beforeAll(async () => {
    emu2 = await startEmulator({ rpcPort: 0, asyncPort: 0, timeScale: 0, dut: "ideal", seed: 3 });
  });
  afterAll(async () => {
    await emu2.stop();
  });

  it("understands every multiplier type like TRex", async () => {
    const s = await openSession(emu2.rpcUrl, { ports: [0] });
    const line = modelLineRatePps(DUT_PRESETS.ideal, 128);
    try {
      // Two streams, 1:3 base rates: the multiplier is for the profile in total.
      await s.onPort(0, "add_stream", { stream_id: 1, stream: stream({ frameSize: 128, pps: 1 }) });
      await s.onPort(0, "add_stream", { stream_id: 2, stream: stream({ frameSize: 128, pps: 3 }) });
      const cases: Array<[string, number, number]> = [
        ["raw", 1000, 4000],
        ["pps", 4000, 4000],
        ["bps", 4000 * 128 * 8, 4000],
        ["bpsl1", 4000 * 148 * 8, 4000],
        ["percentage", 50, line / 2],
      ];
      for (const [type, value, totalPps] of cases) {
        const before = await s.ok<{ opackets: number }>("get_port_stats", { port_id: 0 });
        await s.onPort(0, "start_traffic", {
          duration: 2,
          force: false,
          mul: { type, op: "abs", value },
        });
        await waitForEvents(s, [14, 4]);
        const after = await s.ok<{ opackets: number }>("get_port_stats", { port_id: 0 });
        expect(after.opackets - before.opackets, type).toBe(Math.round(totalPps * 2));
      }
      const bad = await s.call("start_traffic", {
        port_id: 0,
        handler: s.handlers[0],
        duration: 1,
        force: false,
        mul: { type: "bps_L1", op: "abs", value: 1 },
      });
      expect(bad.error?.specific_err).toBe(
        "field 'type' can only be one of ['raw' ,'bps' ,'bpsl1' ,'pps' ,'percentage']",
      );
    } finally {
      await leavePort0(s);
    }
  });

  it("sends single and multi bursts completely, then ends the trial by itself", async () => {
    const s = await openSession(emu2.rpcUrl, { ports: [0] });
    try {
      await s.onPort(0, "add_stream", {
        stream_id: 1,
        stream: stream({
          mode: { type: "single_burst", total_pkts: 1000, rate: { type: "pps", value: 100 } },
        }),
      });
      await s.onPort(0, "add_stream", {
        stream_id: 2,
        stream: stream({
          mode: {
            type: "multi_burst",
            pkts_per_burst: 10,
            ibg: 1000,
            count: 7,
            rate: { type: "pps", value: 100 },
          },
        }),
      });
      const before = await s.ok<{ opackets: number }>("get_port_stats", { port_id: 0 });
      const rxBefore = await s.ok<{ ipackets: number }>("get_port_stats", { port_id: 1 });
      await runProfileToEnd(s);
      const after = await s.ok<{ opackets: number }>("get_port_stats", { port_id: 0 });
      expect(after.opackets - before.opackets).toBe(1070);
      const rx = await s.ok<{ ipackets: number }>("get_port_stats", { port_id: 1 });
      expect(rx.ipackets - rxBefore.ipackets).toBe(1070); // the ideal DUT loses nothing
    } finally {
      await leavePort0(s);
    }
  });

  it("sends nothing for a null stream (flags bit 3), as TRex's data path skips it", async () => {
    const s = await openSession(emu2.rpcUrl, { ports: [0] });
    try {
      const burst = (pkts: number, flags: number) => ({
        ...stream({
          mode: { type: "single_burst", total_pkts: pkts, rate: { type: "pps", value: 100 } },
        }),
        flags,
      });
      await s.onPort(0, "add_stream", { stream_id: 1, stream: burst(1000, 0) });
      await s.onPort(0, "add_stream", { stream_id: 2, stream: burst(500, 8) });
      const before = await s.ok<{ opackets: number }>("get_port_stats", { port_id: 0 });
      await runProfileToEnd(s);
      const after = await s.ok<{ opackets: number }>("get_port_stats", { port_id: 0 });
      expect(after.opackets - before.opackets).toBe(1000);
    } finally {
      await leavePort0(s);
    }
  });

  it("reports a latency maximum of 0 until more than 10 latency packets arrived, as TRex", async () => {
    const s = await openSession(emu.rpcUrl, { ports: [0] }); // the default DUT: 5 µs and up
    const latencyBurst = (pkts: number, pgid: number) =>
      stream({
        mode: { type: "single_burst", total_pkts: pkts, rate: { type: "pps", value: 100 } },
        flowStats: { enabled: true, stream_id: pgid, rule_type: "latency" },
      });
    type Lat = { latency: Record<string, { lat: { total_max: number; total_min: number } }> };
    try {
      await s.onPort(0, "add_stream", { stream_id: 1, stream: latencyBurst(10, 21) });
      await s.onPort(0, "add_stream", { stream_id: 2, stream: latencyBurst(11, 22) });
      await runProfileToEnd(s);
      const { latency } = await s.ok<Lat>("get_pgid_stats", { pgids: [21, 22] });
      expect(latency["21"].lat.total_max).toBe(0);
      expect(latency["21"].lat.total_min).toBeGreaterThan(0);
      expect(latency["22"].lat.total_max).toBeGreaterThanOrEqual(latency["22"].lat.total_min);
      expect(latency["22"].lat.total_max).toBeGreaterThan(0);
    } finally {
      await leavePort0(s);
    }
  });

  it("reports per-pg-id counters and latency for flow-stats streams", async () => {
    const emu3 = await startEmulator({ rpcPort: 0, asyncPort: 0, timeScale: 0, seed: 5 });
    const s = await openSession(emu3.rpcUrl, { ports: [0] });
    try {
      await s.onPort(0, "add_stream", {
        stream_id: 1,
        stream: stream({
          frameSize: 64,
          pps: 9,
          flowStats: { enabled: true, stream_id: 5, rule_type: "stats" },
        }),
      });
      await s.onPort(0, "add_stream", {
        stream_id: 2,
        stream: stream({
          frameSize: 64,
          pps: 1,
          flowStats: { enabled: true, stream_id: 7, rule_type: "latency" },
        }),
      });
      const active = await s.ok("get_active_pgids");
      expect(active).toEqual({ ids: { flow_stats: [5], latency: [7] } });
      const model = new DutModel(DUT_PRESETS.default, portModelSeed(5, 0));
      const expected = model.trial({ ratePps: 10e6, durationS: 10, frameSize: 64 });
      await s.onPort(0, "start_traffic", {
        duration: 10,
        force: false,
        mul: { type: "pps", op: "abs", value: 10e6 },
      });
      await waitForEvents(s, [14, 4]);
      const st = await s.ok<{
        flow_stats: Record<string, { tp: Record<string, number>; rp: Record<string, number> }>;
        latency: Record<
          string,
          { lat: { average: number; total_min: number }; er?: { drp: number } }
        >;
        ver_id: Record<string, number>;
      }>("get_pgid_stats", { pgids: [5, 7] });
      const tx5 = st.flow_stats["5"].tp["0"];
      const tx7 = st.flow_stats["7"].tp["0"];
      expect(tx5 + tx7).toBe(expected.txPackets);
      expect(tx5).toBe(Math.round(expected.txPackets * 0.9));
      expect(st.flow_stats["5"].rp["1"] + st.flow_stats["7"].rp["1"]).toBe(expected.rxPackets);
      expect(st.latency["7"].lat.average).toBeCloseTo(expected.latencyUs.avg, 6);
      expect(st.latency["7"].lat.total_min).toBe(Math.floor(expected.latencyUs.min));
      expect(st.latency["7"].er?.drp).toBe(tx7 - st.flow_stats["7"].rp["1"]);
      expect(Object.keys(st.ver_id).sort()).toEqual(["5", "7"]);
      const none = await s.ok("get_pgid_stats", { pgids: [99] });
      expect(none).toEqual({ flow_stats: null, latency: { g: {} }, ver_id: null });
    } finally {
      s.peer.close();
      await emu3.stop();
    }
  });
});

describe("time", () => {
  it("grows counters with elapsed time at time scale > 0 and stops on request", async () => {
    const live = await startEmulator({ rpcPort: 0, asyncPort: 0, timeScale: 1 });
    const s = await openSession(live.rpcUrl, { ports: [0] });
    try {
      await s.onPort(0, "add_stream", { stream_id: 1, stream: stream({ frameSize: 64 }) });
      await s.onPort(0, "start_traffic", {
        duration: 100,
        force: false,
        mul: { type: "pps", op: "abs", value: 1e6 },
      });
      const first = await s.ok<{ opackets: number; m_total_tx_pps: number }>("get_port_stats", {
        port_id: 0,
      });
      await new Promise((r) => setTimeout(r, 50));
      const second = await s.ok<{ opackets: number }>("get_port_stats", { port_id: 0 });
      expect(live.portState(0).state).toBe("TX");
      expect(first.m_total_tx_pps).toBe(1e6);
      expect(second.opackets).toBeGreaterThan(first.opackets);
      await s.onPort(0, "stop_traffic");
      const events = await waitForEvents(s, [11, 1]);
      expect(events.map((e) => e.type).slice(-2)).toEqual([11, 1]);
      const final = await s.ok<{ opackets: number; m_total_tx_pps: number }>("get_port_stats", {
        port_id: 0,
      });
      expect(final.opackets).toBeGreaterThanOrEqual(second.opackets);
      expect(final.m_total_tx_pps).toBe(0);
      expect(live.portState(0).state).toBe("STREAMS");
    } finally {
      s.peer.close();
      await live.stop();
    }
  });
});

describe("compression and the doorbell", () => {
  it("answers compressed requests compressed, with the exact length, and plain ones plain", async () => {
    const peer = new RpcPeer(emu.rpcUrl);
    try {
      const req = Buffer.from(
        JSON.stringify({ jsonrpc: "2.0", id: "x1", method: "get_version", params: {} }),
      );
      const zipped = await peer.raw(compressMessage(req));
      expect(zipped.readUInt32BE(0)).toBe(0xabe85cea);
      const body = parseReply(zipped) as { id: string; result: { version: string } };
      expect(body.id).toBe("x1");
      const plain = await peer.raw(req);
      expect(plain.toString().endsWith("}\n")).toBe(true);
      expect(JSON.parse(plain.toString())).toEqual(body);
      // Framing whose data is not zlib: TRex parses the raw bytes and answers plain.
      const junk = Buffer.concat([compressMessage(req).subarray(0, 8), Buffer.from("not zlib")]);
      expect(JSON.parse((await peer.raw(junk)).toString())).toEqual({
        error: { code: -32700, message: "Bad JSON Format" },
        id: null,
        jsonrpc: "2.0",
      });
    } finally {
      peer.close();
    }
  });

  it("rings the {} doorbell on PUB when events are queued", async () => {
    const sub = subscribe(emu.asyncUrl);
    const s = await openSession(emu.rpcUrl);
    try {
      await new Promise((r) => setTimeout(r, 100)); // let the subscription reach the publisher
      const got = sub.receive();
      await s.ok("publish_now", { key: 1, baseline: false });
      const [msg] = await got;
      expect(msg.toString()).toBe("{}");
    } finally {
      sub.close();
      s.peer.close();
    }
  });
});
