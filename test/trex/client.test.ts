/** Our client against the emulator over real ZMQ sockets: every call, errors and faults. */
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator, type FaultSpec, type RunningEmulator } from "../../src/emulator/index.ts";
import { capacityPps, DUT_PRESETS } from "../../src/emulator/dut-model.ts";
import { lineRatePps } from "../../src/rate/line-rate.ts";
import {
  counterDelta,
  PortOwnedError,
  TrexClient,
  TrexConnectionError,
  TrexRpcError,
  TrexTimeoutError,
  TrexVersionError,
  type StreamDefinition,
} from "../../src/trex/index.ts";
import { startStub } from "./stub-server.ts";

const open: Array<{ stop(): Promise<void> } | TrexClient> = [];
afterEach(async () => {
  for (const o of open.reverse()) {
    if (o instanceof TrexClient) await o.disconnect().catch(() => undefined);
    else await o.stop();
  }
  open.length = 0;
});

async function emulator(
  opts: { faults?: FaultSpec[]; timeScale?: number; dut?: "ideal" | "default" } = {},
): Promise<RunningEmulator> {
  const emu = await startEmulator({
    rpcPort: 0,
    asyncPort: 0,
    timeScale: opts.timeScale ?? 0,
    seed: 7,
    dut: opts.dut ?? "default",
    faults: opts.faults,
  });
  open.push(emu);
  return emu;
}

async function client(
  url: string,
  opts: { user?: string; timeoutMs?: number; retries?: number } = {},
): Promise<TrexClient> {
  const c = await TrexClient.connect({ server: url, user: opts.user ?? "alice", ...opts });
  open.push(c);
  return c;
}

/** Ethernet/IPv4/UDP frame of `frameSize` bytes on the wire (FCS excluded from the packet). */
function packet(frameSize: number, tag = 0): Uint8Array {
  const p = new Uint8Array(frameSize - 4);
  p.set([0x08, 0x00], 12);
  p[14] = 0x45;
  p[23] = 17;
  p[p.length - 1] = tag;
  return p;
}

function continuous(frameSize: number, rateShare = 1): StreamDefinition {
  return { packet: packet(frameSize), mode: { type: "continuous" }, rateShare };
}

describe("connect", () => {
  it("syncs the API and reads version, ports and their speeds", async () => {
    const emu = await emulator();
    const c = await client(emu.rpcUrl.replace("tcp://", ""));
    expect(c.address).toBe(emu.rpcUrl);
    expect(c.serverVersion).toMatch(/^v\d+\.\d+/);
    expect(c.ports.map((p) => p.portId)).toEqual([0, 1]);
    for (const p of c.ports) {
      expect(p.speedBps).toBe(DUT_PRESETS.default.speedGbps * 1e9);
      expect(p).toMatchObject({ owner: "", state: "IDLE", linkUp: true });
      expect(p.rxCaps).toContain("latency");
    }
  });

  it("names the address when nothing answers", async () => {
    const stub = await startStub(() => null);
    open.push({ stop: () => stub.close() });
    const err = await TrexClient.connect({ server: stub.url, timeoutMs: 200 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TrexConnectionError);
    expect((err as Error).message).toContain(stub.url);
  });

  it("reports an API version mismatch as TrexVersionError", async () => {
    const stub = await startStub((req) => {
      const e = req.json as { id: unknown; params: Record<string, unknown> };
      expect(e.params).toEqual({ name: "STL", major: 5, minor: 1 });
      return JSON.stringify({
        id: e.id,
        jsonrpc: "2.0",
        error: {
          code: -32000,
          message: "Failed To Execute Method",
          specific_err: "RPC version mismatch: a newer client version is required",
        },
      });
    });
    open.push({ stop: () => stub.close() });
    const err = await TrexClient.connect({ server: stub.url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrexVersionError);
    expect((err as Error).message).toMatch(/newer client version is required/);
  });

  it("refuses a malformed address", async () => {
    await expect(TrexClient.connect({ server: "host:99999" })).rejects.toThrow(/bad TRex server/);
  });
});

describe("ownership", () => {
  it("acquires and releases; the server sees the owner", async () => {
    const emu = await emulator();
    const c = await client(emu.rpcUrl);
    await c.acquire([0, 1]);
    expect(emu.portState(0).owner).toBe("alice");
    expect(c.acquiredPorts).toEqual([0, 1]);
    await c.release([1]);
    expect(emu.portState(1).owner).toBe("");
    expect(emu.portState(0).owner).toBe("alice");
    await c.release();
    expect(emu.portState(0).owner).toBe("");
  });

  it("never takes a port owned by another user without force, and names the owner", async () => {
    const emu = await emulator({ faults: [{ kind: "foreign-owner", port: 1, owner: "bob" }] });
    const c = await client(emu.rpcUrl);
    const err = await c.acquire([0, 1]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortOwnedError);
    expect(err).toMatchObject({ port: 1, owner: "bob" });
    expect((err as Error).message).toMatch(/port 1 is owned by 'bob'/);
    // Nothing half-acquired: port 0 was given back, port 1 still bob's.
    expect(emu.portState(0).owner).toBe("");
    expect(emu.portState(1).owner).toBe("bob");
    expect(c.acquiredPorts).toEqual([]);

    await c.acquire([0, 1], { force: true });
    expect(emu.portState(1).owner).toBe("alice");
  });

  it("reports a port held by another client of ours", async () => {
    const emu = await emulator();
    const a = await client(emu.rpcUrl, { user: "alice" });
    const b = await client(emu.rpcUrl, { user: "carol" });
    await a.acquire([0]);
    await expect(b.acquire([0])).rejects.toMatchObject({ port: 0, owner: "alice" });
    const same = await client(emu.rpcUrl, { user: "alice" });
    await expect(same.acquire([0])).rejects.toThrow(PortOwnedError);
  });

  it("refuses owned calls on ports it does not hold, before sending anything", async () => {
    const emu = await emulator();
    const c = await client(emu.rpcUrl);
    await expect(c.start([0], { totalPps: 1000, durationS: 1 })).rejects.toThrow(/not acquired/);
  });

  it("loses an evicted port with the server's error", async () => {
    const emu = await emulator();
    const a = await client(emu.rpcUrl, { user: "alice" });
    const b = await client(emu.rpcUrl, { user: "carol" });
    await a.acquire([0]);
    await b.acquire([0], { force: true });
    const err = await a.addStreams(0, [continuous(64)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrexRpcError);
    expect((err as TrexRpcError).specificErr).toMatch(/not owned by you/);
  });

  it("disconnect stops traffic and releases what it acquired", async () => {
    const emu = await emulator({ timeScale: 1 });
    const c = await client(emu.rpcUrl);
    await c.acquire([0, 1]);
    await c.addStreams(0, [continuous(64)]);
    await c.start([0], { totalPps: 1000, durationS: Infinity });
    expect(emu.portState(0).state).toBe("TX");
    await c.disconnect();
    expect(emu.portState(0)).toEqual({ owner: "", state: "STREAMS" });
    expect(emu.portState(1).owner).toBe("");
    await expect(c.portCounters([0])).rejects.toThrow(/disconnected/);
  });
});

describe("a trial", () => {
  it("runs the Python client's sequence with counters equal to the DUT model", async () => {
    const emu = await emulator();
    const c = await client(emu.rpcUrl);
    const dut = DUT_PRESETS.default;
    await c.acquire([0, 1]);
    await c.reset([0, 1]);
    await c.removeAllStreams(0);
    // Above the DUT's capacity at 64 B, below line rate: the DUT drops the excess.
    const frameSize = 64;
    const ratePps = 6_000_000;
    const durationS = 30;
    expect(ratePps).toBeLessThan(lineRatePps(10e9, frameSize));
    expect(ratePps).toBeGreaterThan(capacityPps(dut, frameSize));
    const ids = await c.addStreams(0, [continuous(frameSize, 3), continuous(frameSize, 1)]);
    expect(ids).toEqual([1, 2]);
    const before = await c.portCounters([0, 1]);
    await c.start([0], { totalPps: ratePps, durationS });
    await c.waitOnTraffic([0], { timeoutMs: 10_000 });
    const after = await c.portCounters([0, 1]);
    const tx = counterDelta(before.get(0)!, after.get(0)!);
    const rx = counterDelta(before.get(1)!, after.get(1)!);
    expect(tx.opackets).toBe(Math.round(ratePps * durationS));
    expect(tx.obytes).toBe(tx.opackets * frameSize);
    const forwarded = Math.floor(capacityPps(dut, frameSize) * durationS) + dut.bufferPackets;
    expect(rx.ipackets).toBe(Math.min(tx.opackets, forwarded));
    expect(rx.ibytes).toBe(rx.ipackets * frameSize);
    await c.stop([0]);
    await c.release([0, 1]);
    await c.disconnect();
    expect(emu.portState(0).owner).toBe("");
  });

  it("works with every request compressed, as TRex's Python client sends them", async () => {
    const emu = await emulator({ dut: "ideal" });
    const c = await TrexClient.connect({ server: emu.rpcUrl, compressThresholdBytes: 0 });
    open.push(c);
    await c.acquire([0, 1]);
    await c.reset([0, 1]);
    await c.addStreams(0, [continuous(64)]);
    await c.start([0], { totalPps: 1000, durationS: 3 });
    await c.waitOnTraffic([0]);
    expect((await c.portCounters([1])).get(1)!.ipackets).toBe(3000n);
  });

  it("adds 254 streams in one message and the port sends their total rate", async () => {
    const emu = await emulator({ dut: "ideal" });
    const c = await client(emu.rpcUrl);
    await c.acquire([0, 1]);
    await c.reset([0, 1]);
    const streams = Array.from({ length: 254 }, (_, i) => ({
      ...continuous(128),
      packet: packet(128, i),
      name: `s${i}`,
    }));
    const sentBefore = c.transportStats.messagesSent;
    const ids = await c.addStreams(0, streams);
    expect(c.transportStats.messagesSent - sentBefore).toBe(1);
    expect(ids).toEqual(streams.map((_, i) => i + 1));
    const before = await c.portCounters([0, 1]);
    await c.start([0], { totalPps: 254_000, durationS: 2 });
    await c.waitOnTraffic([0]);
    const after = await c.portCounters([0, 1]);
    expect(counterDelta(before.get(0)!, after.get(0)!).opackets).toBe(508_000);
    expect(counterDelta(before.get(1)!, after.get(1)!).ipackets).toBe(508_000);
    // reset starts the ids again and a second batch is accepted.
    await c.reset([0]);
    expect(await c.addStreams(0, streams.slice(0, 3))).toEqual([1, 2, 3]);
  });

  it("sends bursts exactly", async () => {
    const emu = await emulator({ dut: "ideal" });
    const c = await client(emu.rpcUrl);
    await c.acquire([0, 1]);
    await c.reset([0, 1]);
    await c.addStreams(0, [
      { packet: packet(64), mode: { type: "single_burst", packets: 1234 }, rateShare: 1 },
      {
        packet: packet(64),
        mode: { type: "multi_burst", packetsPerBurst: 10, ibgUs: 5, count: 7 },
        rateShare: 1,
      },
    ]);
    const before = await c.portCounters([0]);
    await c.start([0], { totalPps: 10_000, durationS: 60 });
    await c.waitOnTraffic([0]);
    const after = await c.portCounters([0]);
    expect(counterDelta(before.get(0)!, after.get(0)!).opackets).toBe(1234 + 70);
  });

  it("waits by port state: TX while the trial runs, then idle", async () => {
    // 1 modelled second = 100 ms: the wait has to poll several times.
    const emu = await emulator({ timeScale: 0.1 });
    const c = await client(emu.rpcUrl);
    await c.acquire([0, 1]);
    await c.reset([0, 1]);
    await c.addStreams(0, [continuous(64)]);
    await c.addStreams(1, [continuous(64)]);
    await c.start([0], { totalPps: 1000, durationS: 2 });
    await c.start([1], { totalPps: 1000, durationS: 3 });
    expect(await c.portStates([0, 1])).toEqual(
      new Map([
        [0, "TX"],
        [1, "TX"],
      ]),
    );
    const sent = c.transportStats.messagesSent;
    await c.waitOnTraffic([0, 1], { pollMs: 20 });
    expect(c.transportStats.messagesSent - sent).toBeGreaterThan(1);
    expect(emu.portState(0).state).toBe("STREAMS");
    expect(emu.portState(1).state).toBe("STREAMS");
    const counters = await c.portCounters([0, 1]);
    expect(counters.get(0)!.opackets).toBe(2000n);
    expect(counters.get(1)!.opackets).toBe(3000n);
  });

  it("stops a continuous run; waiting can be aborted or time out", async () => {
    const emu = await emulator({ timeScale: 1 });
    const c = await client(emu.rpcUrl);
    await c.acquire([0, 1]);
    await c.reset([0, 1]);
    await c.addStreams(0, [continuous(64)]);
    await c.start([0], { totalPps: 1000, durationS: Infinity });
    await expect(c.waitOnTraffic([0], { timeoutMs: 60 })).rejects.toThrow(TrexTimeoutError);
    const abort = new AbortController();
    const waiting = c.waitOnTraffic([0], { signal: abort.signal });
    abort.abort(new Error("user interrupt"));
    await expect(waiting).rejects.toThrow("user interrupt");
    await c.stop([0]);
    expect(emu.portState(0).state).toBe("STREAMS");
    await c.waitOnTraffic([0]);
    // reset on a transmitting port stops it first.
    await c.start([0], { totalPps: 1000, durationS: Infinity });
    await c.reset([0]);
    expect(emu.portState(0).state).toBe("IDLE");
  });

  it("needs force above line rate", async () => {
    const emu = await emulator();
    const c = await client(emu.rpcUrl);
    await c.acquire([0, 1]);
    await c.reset([0, 1]);
    await c.addStreams(0, [continuous(64)]);
    const overLine = Math.ceil(lineRatePps(10e9, 64) * 1.01);
    const err = await c.start([0], { totalPps: overLine, durationS: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrexRpcError);
    expect(err).toMatchObject({ method: "start_traffic", code: -32000, portId: 0 });
    expect((err as TrexRpcError).specificErr).toMatch(/exceeds port line rate/);
    const before = await c.portCounters([0]);
    await c.start([0], { totalPps: overLine, durationS: 1, force: true });
    await c.waitOnTraffic([0]);
    const after = await c.portCounters([0]);
    expect(counterDelta(before.get(0)!, after.get(0)!).opackets).toBe(
      Math.round(lineRatePps(10e9, 64)),
    );
  });

  it("reads latency and flow statistics per packet group", async () => {
    const emu = await emulator();
    const c = await client(emu.rpcUrl);
    await c.acquire([0, 1]);
    await c.reset([0, 1]);
    await c.addStreams(0, [
      continuous(64, 1000),
      { ...continuous(64, 10), flowStats: { pgId: 5, latency: true } },
      { ...continuous(64, 10), flowStats: { pgId: 6, latency: false } },
    ]);
    await c.start([0], { totalPps: 1020, durationS: 10 });
    await c.waitOnTraffic([0]);
    const stats = await c.pgidStats([5, 6]);
    expect(stats.flowStats.get(6)?.txPackets.get(0)).toBe(100n);
    expect(stats.flowStats.get(6)?.rxPackets.get(1)).toBe(100n);
    expect(stats.latency.has(6)).toBe(false);
    const lat = stats.latency.get(5)!;
    expect(lat.minUs).toBeGreaterThan(0);
    expect(lat.minUs).toBeLessThanOrEqual(lat.avgUs);
    expect(lat.avgUs).toBeLessThanOrEqual(lat.maxUs);
  });

  it("rejects nonsense before sending it", async () => {
    const emu = await emulator();
    const c = await client(emu.rpcUrl);
    await c.acquire([0]);
    await expect(c.start([0], { totalPps: 0, durationS: 1 })).rejects.toThrow(RangeError);
    await expect(c.start([0], { totalPps: 10, durationS: 0 })).rejects.toThrow(RangeError);
    await expect(c.addStreams(0, [{ ...continuous(64), rateShare: -1 }])).rejects.toThrow(
      /rateShare/,
    );
  });

  it("passes the server's refusal of a bad packet through", async () => {
    const emu = await emulator();
    const c = await client(emu.rpcUrl);
    await c.acquire([0]);
    const err = await c
      .addStreams(0, [{ ...continuous(64), packet: new Uint8Array(9300) }])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrexRpcError);
    expect((err as Error).message).toMatch(/packet size|Bad packet/i);
  });
});

describe("faults", () => {
  it("recreates the socket and retries a read after a lost reply", async () => {
    const emu = await emulator({
      faults: [{ kind: "drop-reply", method: "get_port_stats", nth: 1 }],
    });
    const c = await client(emu.rpcUrl, { timeoutMs: 200, retries: 1 });
    const counters = await c.portCounters([0, 1]);
    expect(counters.get(1)!.opackets).toBe(0n);
    expect(c.transportStats.recreatedSockets).toBe(1);
  });

  it("recovers from a late reply", async () => {
    const emu = await emulator({
      faults: [{ kind: "delay-reply", method: "get_port_status", ms: 500, nth: 1 }],
    });
    const c = await client(emu.rpcUrl, { timeoutMs: 200, retries: 2 });
    expect(c.ports.length).toBe(2);
    expect(c.transportStats.recreatedSockets).toBe(1);
    await c.acquire([0, 1]);
  });

  it("fails a lost start_traffic with TrexTimeoutError and keeps working", async () => {
    const emu = await emulator({ faults: [{ kind: "drop-reply", method: "start_traffic" }] });
    const c = await client(emu.rpcUrl, { timeoutMs: 200, retries: 3 });
    await c.acquire([0, 1]);
    await c.reset([0, 1]);
    await c.addStreams(0, [continuous(64)]);
    const err = await c.start([0], { totalPps: 1000, durationS: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrexTimeoutError);
    expect(err).toMatchObject({ method: "start_traffic", timeoutMs: 200, attempts: 1 });
    expect((err as Error).message).toContain(emu.rpcUrl);
    await c.stop([0]);
    await c.waitOnTraffic([0]);
  });

  it("gives up with TrexTimeoutError when the server dies mid-trial", async () => {
    const emu = await emulator({ timeScale: 1, faults: [{ kind: "exit", afterMs: 0 }] });
    const c = await client(emu.rpcUrl, { timeoutMs: 100, retries: 1 });
    await c.acquire([0, 1]);
    await c.reset([0, 1]);
    await c.addStreams(0, [continuous(64)]);
    await c.start([0], { totalPps: 1000, durationS: 30 });
    const err = await c.waitOnTraffic([0]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrexTimeoutError);
    expect(err).toMatchObject({ method: "get_port_status+ping", attempts: 2 });
    // disconnect still closes the socket, then reports the failed release.
    await expect(c.disconnect()).rejects.toThrow(TrexTimeoutError);
  });

  it("surfaces a server error with its code and message", async () => {
    const emu = await emulator({
      faults: [{ kind: "error", method: "get_port_stats", code: -32603, message: "boom" }],
    });
    const c = await client(emu.rpcUrl);
    const err = await c.portCounters([0]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrexRpcError);
    expect(err).toMatchObject({ method: "get_port_stats", code: -32603, rpcMessage: "boom" });
  });
});
