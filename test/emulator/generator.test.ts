/**
 * The generator model: a request above the generator's ceiling G sends round(r·d) packets over
 * max(d, r·d / G) model seconds, the DUT sees the rate G, and the server's clock shows it.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  DUT_PRESETS,
  generatorCeilingPps,
  modelLineRatePps,
  type DutParams,
} from "../../src/emulator/dut-model.ts";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.ts";
import { openSession, stream, type Session } from "./helpers.ts";

let emu: RunningEmulator | undefined;
let session: Session | undefined;

afterEach(async () => {
  session?.peer.close();
  session = undefined;
  await emu?.stop();
  emu = undefined;
});

async function setUp(dut: DutParams | "software" | "default", frameSize: number, timeScale = 0) {
  emu = await startEmulator({ rpcPort: 0, asyncPort: 0, timeScale, seed: 9, dut });
  const s = await openSession(emu.rpcUrl, { ports: [0, 1] });
  session = s;
  await s.onPort(0, "add_stream", { stream_id: 1, stream: stream({ frameSize }) });
  return s;
}

/** One trial on port 0, then [status, stats 0, stats 1, ping] in one message once it is idle. */
async function trial(
  s: Session,
  mul: Record<string, unknown>,
  durationS: number,
  whileTx?: () => Promise<void>,
) {
  const { ts: startTs } = await s.onPort<{ ts: number }>(0, "start_traffic", {
    duration: durationS,
    force: false,
    mul: { op: "abs", ...mul },
  });
  await whileTx?.();
  for (;;) {
    const [status, tx, rx, ping] = await s.peer.batch([
      ["get_port_status", { api_h: s.apiH, port_id: 0 }],
      ["get_port_stats", { api_h: s.apiH, port_id: 0 }],
      ["get_port_stats", { api_h: s.apiH, port_id: 1 }],
      ["ping", {}],
    ]);
    if ((status.result as { state: string }).state !== "TX") {
      return {
        txPackets: (tx.result as { opackets: number }).opackets,
        rxPackets: (rx.result as { ipackets: number }).ipackets,
        elapsedS: (ping.result as { ts: number }).ts - startTs,
      };
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("generator ceiling", () => {
  it("is the lower of maxPps and maxL1Bps at the frame size; none without a generator", () => {
    expect(generatorCeilingPps(DUT_PRESETS.software, 64)).toBe(600_000);
    // 4.92e9 / (1538 · 8)
    expect(generatorCeilingPps(DUT_PRESETS.software, 1518)).toBeCloseTo(399_869.96, 2);
    expect(generatorCeilingPps(DUT_PRESETS.default, 64)).toBe(Infinity);
    const bitsOnly = { ...DUT_PRESETS.default, generator: { maxL1Bps: 1e9 } };
    expect(generatorCeilingPps(bitsOnly, 64)).toBeCloseTo(1e9 / 672, 6);
  });

  it("steps down with maxPpsFromFrameSize: the entry of the largest size ≤ S, none below", () => {
    const generator = { maxPps: 140_000, maxPpsFromFrameSize: { 9000: 900, 1519: 50_000 } };
    const jumbo: DutParams = { ...DUT_PRESETS.default, generator };
    const at = (size: number) => generatorCeilingPps(jumbo, size);
    expect([64, 1518, 1519, 8999, 9000, 9216].map(at)).toEqual([
      140_000, 140_000, 50_000, 50_000, 900, 900,
    ]);
    // Alone it limits only the sizes it names; maxL1Bps still applies beside it.
    const stepsOnly = { ...DUT_PRESETS.default, generator: { maxPpsFromFrameSize: { 2000: 1e6 } } };
    expect(generatorCeilingPps(stepsOnly, 1999)).toBe(Infinity);
    const withBits = {
      ...DUT_PRESETS.software,
      generator: { ...DUT_PRESETS.software.generator, maxPpsFromFrameSize: { 9216: 1e6 } },
    };
    expect(generatorCeilingPps(withBits, 9216)).toBeCloseTo(4.92e9 / (9236 * 8), 6);
  });
});

describe("a trial on a generator that cannot keep up (time scale 0)", () => {
  it("sends line rate × 1 s at 64 B on 'software' over ≈ 24.8 s, all forwarded", async () => {
    const s = await setUp("software", 64);
    const r = await trial(s, { type: "percentage", value: 100 }, 1);
    expect(r.txPackets).toBe(14_880_952);
    expect(r.elapsedS).toBeCloseTo(14_880_952.38 / 600_000, 4); // 24.8016 s
    expect(r.rxPackets).toBe(r.txPackets);
  });

  it("does not stretch a request the generator keeps up with, nor without a generator", async () => {
    const s = await setUp("software", 1518);
    const slow = await trial(s, { type: "pps", value: 300_000 }, 2);
    expect(slow.txPackets).toBe(600_000);
    expect(slow.elapsedS).toBeCloseTo(2, 9);
    await emu?.stop();
    const d = await setUp("default", 64);
    const line = modelLineRatePps(DUT_PRESETS.default, 64);
    const fast = await trial(d, { type: "percentage", value: 100 }, 1);
    expect(fast.txPackets).toBe(Math.round(line));
    expect(fast.elapsedS).toBeCloseTo(1, 9);
  });

  it("lets the DUT see the generator's rate, not the requested one", async () => {
    // DUT capacity 500 kpps, no buffer; generator 600 kpps; asked 1 Mpps for 10 s.
    const dut: DutParams = {
      ...DUT_PRESETS.default,
      perPacketNs: 2000,
      perByteNs: 0,
      bufferPackets: 0,
      generator: { maxPps: 600_000 },
    };
    const s = await setUp(dut, 64);
    const r = await trial(s, { type: "pps", value: 1e6 }, 10);
    expect(r.txPackets).toBe(10_000_000);
    expect(r.elapsedS).toBeCloseTo(10_000_000 / 600_000, 6);
    // Forwarded: 500 kpps over the 16.67 s the port really sent (5 000 000 if it were 10 s).
    expect(r.rxPackets).toBe(Math.floor(500_000 * (10_000_000 / 600_000)));
  });
});

describe("a jumbo trial on a generator that slows down for big frames (time scale 0)", () => {
  it("sends a '2 s' trial of 9216 B at half line rate over ≈ 150 s, as af_packet was seen to", async () => {
    const dut: DutParams = {
      ...DUT_PRESETS.default,
      generator: { maxPps: 140_000, maxPpsFromFrameSize: { 9040: 900 } },
    };
    const s = await setUp(dut, 9216);
    const r = await trial(s, { type: "percentage", value: 50 }, 2);
    const asked = Math.round(modelLineRatePps(dut, 9216) * 0.5 * 2); // 135 340 packets: 150 s at 900 pps
    expect(r.txPackets).toBe(asked);
    expect(r.elapsedS).toBeCloseTo(asked / 900, 0);
    expect(r.rxPackets).toBe(r.txPackets);
    await emu?.stop();
    // Below the step the same generator keeps its 140 kpps.
    const small = await setUp(dut, 1518);
    const fast = await trial(small, { type: "pps", value: 280_000 }, 1);
    expect(fast.elapsedS).toBeCloseTo(2, 6);
  });
});

describe("a receiver that cannot keep up (generator.rxMaxPps)", () => {
  it("counts what arrives beyond it in rx_missed_errors, not in ipackets", async () => {
    const generator = { rxMaxPps: 150_000 };
    const s = await setUp({ ...DUT_PRESETS.ideal, generator }, 64);
    const { txPackets, rxPackets } = await trial(s, { type: "pps", value: 400_000 }, 2);
    expect(txPackets).toBe(800_000);
    expect(rxPackets).toBe(300_000);
    const names = await s.ok<{ xstats_names: string[] }>("get_port_xstats_names", { port_id: 1 });
    const { xstats_values: values } = await s.ok<{ xstats_values: number[] }>(
      "get_port_xstats_values",
      { port_id: 1 },
    );
    expect(values[names.xstats_names.indexOf("rx_missed_errors")]).toBe(500_000);
    // Below the limit nothing is missed.
    const under = await trial(s, { type: "pps", value: 100_000 }, 1);
    expect(under.rxPackets - rxPackets).toBe(100_000);
  });
});

describe("a stretched trial at time scale > 0", () => {
  it("reports the generator's rate while it runs and stays in TX for the stretched time", async () => {
    const s = await setUp("software", 64, 0.005); // 24.8 model seconds = 124 ms
    const startedMs = performance.now();
    const r = await trial(s, { type: "percentage", value: 100 }, 1, async () => {
      const stats = await s.ok<{ m_total_tx_pps: number }>("get_port_stats", { port_id: 0 });
      expect(stats.m_total_tx_pps).toBeCloseTo(600_000, 3);
    });
    expect(performance.now() - startedMs).toBeGreaterThanOrEqual(24.8 * 5);
    expect(r.txPackets).toBe(14_880_952);
    expect(r.elapsedS).toBeCloseTo(14_880_952.38 / 600_000, 6);
  });
});
