/**
 * The model clock: `ts` of start_traffic and ping measure the modelled transmit time exactly at
 * any time scale (the clock runs at real time / scale while traffic runs and stands still at the
 * last trial's end otherwise); counters follow the same clock.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ModelClock } from "../../src/emulator/clock.ts";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.ts";
import { openSession, stream, type RpcReply, type Session } from "./helpers.ts";

let emu: RunningEmulator | undefined;
let session: Session | undefined;

afterEach(async () => {
  session?.peer.close();
  session = undefined;
  await emu?.stop();
  emu = undefined;
});

async function setUp(timeScale: number, ports = [0]): Promise<Session> {
  emu = await startEmulator({ rpcPort: 0, asyncPort: 0, timeScale, seed: 3 });
  session = await openSession(emu.rpcUrl, { ports });
  for (const port of ports) {
    await session.onPort(port, "add_stream", { stream_id: 1, stream: stream({ frameSize: 64 }) });
  }
  return session;
}

function start(s: Session, port: number, ratePps: number, durationS: number): Promise<RpcReply> {
  return s.peer.call("start_traffic", {
    api_h: s.apiH,
    port_id: port,
    handler: s.handlers[port],
    duration: durationS,
    force: false,
    mul: { type: "pps", op: "abs", value: ratePps },
  });
}

/** [get_port_status, get_port_stats, ping] in one message. */
async function look(s: Session, port: number) {
  const [status, stats, ping] = await s.peer.batch([
    ["get_port_status", { api_h: s.apiH, port_id: port }],
    ["get_port_stats", { api_h: s.apiH, port_id: port }],
    ["ping", {}],
  ]);
  return {
    state: (status.result as { state: string }).state,
    opackets: (stats.result as { opackets: number }).opackets,
    txPps: (stats.result as { m_total_tx_pps: number }).m_total_tx_pps,
    ts: (ping.result as { ts: number }).ts,
  };
}

describe("ModelClock with a fake real clock", () => {
  it("runs at real / scale only while traffic is under way and stops at the latest end", () => {
    let realMs = 5000;
    const clock = new ModelClock(0.5, () => realMs);
    const t0 = clock.nowS();
    realMs += 1000;
    expect(clock.nowS()).toBe(t0); // idle: stands still
    clock.trafficStarted();
    realMs += 1000; // 2 model s
    expect(clock.nowS()).toBeCloseTo(t0 + 2, 9);
    expect(clock.realMsAt(t0 + 3)).toBeCloseTo(realMs + 500, 9);
    clock.trialEnded(t0 + 1.5, true); // another trial still runs
    realMs += 1000;
    expect(clock.nowS()).toBeCloseTo(t0 + 4, 9);
    clock.trialEnded(t0 + 3.5, false);
    expect(clock.nowS()).toBeCloseTo(t0 + 3.5, 9);
    realMs += 60_000;
    expect(clock.nowS()).toBeCloseTo(t0 + 3.5, 9);
  });

  it("holds one instant for a message, and at time scale 0 moves only by reach()", () => {
    let realMs = 0;
    const live = new ModelClock(1, () => realMs);
    live.trafficStarted();
    const held = live.atOneInstant(() => {
      const first = live.nowS();
      realMs += 250;
      return [first, live.nowS()];
    });
    expect(held[1]).toBe(held[0]);
    expect(live.nowS()).toBeCloseTo(held[0] + 0.25, 9);
    const still = new ModelClock(0, () => realMs);
    const t0 = still.nowS();
    still.trafficStarted();
    realMs += 10_000;
    expect(still.nowS()).toBe(t0);
    still.trialEnded(t0 + 24.8, true);
    expect(still.nowS()).toBe(t0 + 24.8);
    still.reach(t0 + 1);
    expect(still.nowS()).toBe(t0 + 24.8);
  });
});

describe("model clock at time scale 0", () => {
  it("moves by exactly the transmit time of a trial, and only by it", async () => {
    const s = await setUp(0);
    const idle1 = await look(s, 0);
    const idle2 = await look(s, 0);
    expect(idle2.ts).toBe(idle1.ts);
    expect(idle1.ts).toBeGreaterThan(0);
    const started = await start(s, 0, 1e6, 2.5);
    const startTs = (started.result as { ts: number }).ts;
    expect(startTs).toBe(idle1.ts);
    const after = await look(s, 0);
    expect(after.state).toBe("STREAMS");
    expect(after.opackets).toBe(2_500_000);
    expect(after.ts - startTs).toBeCloseTo(2.5, 9);
    const later = await look(s, 0);
    expect(later.ts).toBe(after.ts);
  });

  it("starts two ports started one message after the other at the same model time", async () => {
    const s = await setUp(0, [0, 1]);
    const a = (await start(s, 0, 1e6, 3)).result as { ts: number };
    const b = (await start(s, 1, 1e6, 3)).result as { ts: number };
    expect(b.ts).toBe(a.ts);
    const after = await look(s, 1);
    expect(after.state).toBe("STREAMS");
    expect(after.ts - a.ts).toBeCloseTo(3, 9);
  });
});

describe("model clock at time scale > 0", () => {
  it("runs at real time / scale; counters and rates follow it", async () => {
    const timeScale = 0.02; // a 10 s trial lasts 200 ms
    const s = await setUp(timeScale);
    const ratePps = 1000;
    const started = await start(s, 0, ratePps, 10);
    const startTs = (started.result as { ts: number }).ts;
    const mid = await look(s, 0);
    expect(mid.state).toBe("TX");
    expect(mid.txPps).toBe(ratePps);
    // The calls of one message read one instant of the clock: counters agree with ping's ts.
    expect(Math.abs(mid.opackets - ratePps * (mid.ts - startTs))).toBeLessThanOrEqual(0.5);
    let end = mid;
    while (end.state === "TX") {
      await new Promise((r) => setTimeout(r, 5));
      end = await look(s, 0);
    }
    expect(end.opackets).toBe(10 * ratePps);
    expect(end.txPps).toBe(0);
    // However late the poll saw the port idle, the clock stands at the trial's end.
    expect(end.ts - startTs).toBeCloseTo(10, 9);
    await new Promise((r) => setTimeout(r, 30)); // 1.5 model s if the clock ran
    expect((await look(s, 0)).ts).toBe(end.ts);
  });

  it("runs while any port transmits and stops at the last end", async () => {
    const s = await setUp(0.02, [0, 1]);
    const a = (await start(s, 0, 1000, 2)).result as { ts: number }; // 40 ms
    await new Promise((r) => setTimeout(r, 10));
    const b = (await start(s, 1, 1000, 4)).result as { ts: number }; // 80 ms
    expect(b.ts - a.ts).toBeGreaterThan(0.4);
    let end = await look(s, 1);
    while (end.state === "TX") {
      await new Promise((r) => setTimeout(r, 5));
      end = await look(s, 1);
    }
    expect(end.ts - b.ts).toBeCloseTo(4, 9);
    expect((await look(s, 0)).opackets).toBe(2000);
  });
});
