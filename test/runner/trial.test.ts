import { afterEach, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.ts";
import type { DutPresetName } from "../../src/emulator/dut-model.ts";
import { lineRatePps } from "../../src/rate/line-rate.ts";
import { Ether, IP, IPv6, packet, TCP, UDP } from "../../src/packet/index.ts";
import {
  latencyFigures,
  latencyProbeFits,
  offeredRatePps,
  overrunLimitS,
  roomBesideProbe,
  runTrial,
  type TrialPlan,
} from "../../src/runner/trial.ts";
import { TrexClient, type StreamDefinition } from "../../src/trex/index.ts";

const open: Array<RunningEmulator | TrexClient> = [];
afterEach(async () => {
  for (const o of open.reverse()) {
    if (o instanceof TrexClient) await o.disconnect().catch(() => undefined);
    else await o.stop();
  }
  open.length = 0;
});

/** A 64 B frame (60 bytes handed to TRex): Ethernet/IPv4/UDP, enough for the DUT model. */
function stream(frameSize = 64): StreamDefinition {
  const packet = new Uint8Array(frameSize - 4);
  packet.set([0x08, 0x00], 12);
  packet[14] = 0x45;
  packet[23] = 17;
  return { packet, mode: { type: "continuous" }, rateShare: 1 };
}

async function testbed(
  dut: DutPresetName,
  timeScale: number,
): Promise<{ client: TrexClient; plan: TrialPlan }> {
  const emu = await startEmulator({ rpcPort: 0, asyncPort: 0, timeScale, seed: 1, dut });
  open.push(emu);
  const client = await TrexClient.connect({ server: emu.rpcUrl, user: "trial-test" });
  open.push(client);
  await client.acquire([0, 1]);
  return {
    client,
    plan: { directions: [{ txPort: 0, rxPort: 1, streams: [stream()] }], rxDrainMs: 0 },
  };
}

const LINE_64_PPS = lineRatePps(10e9, 64);

describe("runTrial measures what the generator really offered", () => {
  it("by the server's clock: a software generator stretches a line-rate second to 24.8 s", async () => {
    const { client, plan } = await testbed("software", 0);
    const outcome = await runTrial(client, plan, LINE_64_PPS, 1);
    expect(outcome.txPackets).toBe(Math.round(LINE_64_PPS));
    expect(outcome.elapsedS).toBeCloseTo(LINE_64_PPS / 600_000, 3);
    expect(outcome.offeredPps).toBeCloseTo(600_000, -1);
    // tx alone looks perfect: only the time shows the shortfall.
    expect(outcome.valid).toBe(true);
  });

  it("and as asked when the generator keeps up", async () => {
    const { client, plan } = await testbed("default", 0);
    const outcome = await runTrial(client, plan, 1_000_000, 2);
    expect(outcome.elapsedS).toBeCloseTo(2, 6);
    expect(outcome.offeredPps).toBeCloseTo(1_000_000, 3);
  });

  it("stops a trial that overruns its time and measures the rate from what it sent", async () => {
    const { client, plan } = await testbed("software", 1);
    const t0 = performance.now();
    const outcome = await runTrial(client, plan, LINE_64_PPS, 1);
    const wallS = (performance.now() - t0) / 1000;
    expect(wallS).toBeLessThan(1 + overrunLimitS(1) + 1);
    expect(outcome.elapsedS!).toBeGreaterThanOrEqual(1 + overrunLimitS(1));
    expect(outcome.offeredPps! / 600_000).toBeGreaterThan(0.97);
    expect(outcome.offeredPps! / 600_000).toBeLessThan(1.01);
    expect(outcome.valid).toBe(false);
    expect(outcome.invalidReason).toMatch(/^TX underrun/);
    const states = await client.portStates([0, 1]);
    expect([...states.values()].every((s) => s !== "TX")).toBe(true);
  }, 15_000);
});

describe("runTrial on the veth preset (a generator whose ceiling wanders)", () => {
  const offered = async (): Promise<number[]> => {
    const { client, plan } = await testbed("veth", 0);
    const rates: number[] = [];
    for (let i = 0; i < 8; i++) {
      rates.push((await runTrial(client, plan, 200_000, 1)).offeredPps!);
    }
    return rates;
  };

  it("offers a different rate each trial, about 140 kpps, the same for the same seed", async () => {
    const [a, b] = [await offered(), await offered()];
    // The same draws (the clocks' origins differ, so the last float digit may).
    a.forEach((rate, i) => expect(rate / b[i]).toBeCloseTo(1, 9));
    const mean = a.reduce((x, y) => x + y, 0) / a.length;
    const sd = Math.sqrt(a.reduce((x, y) => x + (y - mean) ** 2, 0) / (a.length - 1));
    expect(mean / 140_000).toBeGreaterThan(0.95);
    expect(mean / 140_000).toBeLessThan(1.05);
    expect(sd / mean).toBeGreaterThan(0.01);
    expect(sd / mean).toBeLessThan(0.1);
  });
});

describe("runTrial on an accelerated emulator", () => {
  it("polls on the server's clock: the overrun stop and the end are seen in model seconds", async () => {
    // Time scale 0.01: a model second is 10 ms; the stretched trial would take 24.8 model s.
    const { client, plan } = await testbed("software", 0.01);
    const outcome = await runTrial(client, plan, LINE_64_PPS, 1);
    expect(outcome.elapsedS!).toBeGreaterThanOrEqual(1 + overrunLimitS(1));
    expect(outcome.elapsedS!).toBeLessThan(1 + overrunLimitS(1) + 0.5);
    // The end lies between the last busy poll and the idle one; on a loaded machine a
    // millisecond late is a tenth of a model second here.
    expect(outcome.elapsedMinS!).toBeGreaterThan(outcome.elapsedS! - 1);
    expect(outcome.offeredPps! / 600_000).toBeGreaterThan(0.8);
    expect(outcome.offeredPps! / 600_000).toBeLessThanOrEqual(1.0001);
  });

  it("sees a trial that kept up end on time", async () => {
    const { client, plan } = await testbed("default", 0.01);
    const outcome = await runTrial(client, plan, 1_000_000, 5);
    expect(outcome.elapsedS!).toBeGreaterThanOrEqual(5);
    expect(outcome.elapsedS!).toBeLessThan(6);
    expect(outcome.elapsedMinS!).toBeLessThanOrEqual(5);
    expect(outcome.offeredPps).toBeGreaterThan(1_000_000 * 0.83);
  });
});

describe("trial arithmetic", () => {
  it("offered rate: packets over the longer of asked and measured time", () => {
    expect(offeredRatePps(1_000_000, 1, 4)).toBe(250_000);
    expect(offeredRatePps(1_000_000, 1, 0.001)).toBe(1_000_000);
    expect(offeredRatePps(1_000_000, 1, Number.NaN)).toBe(1_000_000);
  });

  it("room beside a latency probe, in L1 bits against known values", () => {
    // 64 B frames cost 672 L1 bits: 10 Gb/s minus a 1000 pps probe of 64 B.
    expect(roomBesideProbe([stream()], 10e9, 1000)).toBeCloseTo(
      (10e9 * (1 - 1e-6) - 672_000) / 672,
      6,
    );
    // The probe copies the first stream's packet: a 1518 B stream leaves room for 1538 * 8 bits less.
    expect(roomBesideProbe([stream(1518)], 10e9, 1000)).toBeCloseTo(
      (10e9 * (1 - 1e-6) - 1000 * 1538 * 8) / (1538 * 8),
      6,
    );
    expect(() => roomBesideProbe([stream()], 1e6, 10_000)).toThrow(
      /alone fills the 0.001 Gb\/s link/,
    );
  });
});

describe("latency probes", () => {
  const frame = (size: number, l4: "tcp" | "udp", v6 = false) =>
    packet(
      Ether(),
      v6 ? IPv6({ src: "aa::1", dst: "bb::1" }) : IP({ src: "16.0.0.1", dst: "48.0.0.1" }),
      l4 === "tcp" ? TCP({ dport: 12, sport: 1025 }) : UDP({ dport: 12, sport: 1025 }),
    )
      .padTo(size - 4)
      .bytes();

  it("fit only with TRex's 16 signature bytes after the last header", () => {
    // 64 B TCP/IPv4: 14 + 20 + 20 header bytes leave 6; UDP leaves 18.
    expect(latencyProbeFits(frame(64, "tcp"))).toBe(false);
    expect(latencyProbeFits(frame(73, "tcp"))).toBe(false);
    expect(latencyProbeFits(frame(74, "tcp"))).toBe(true);
    expect(latencyProbeFits(frame(64, "udp"))).toBe(true);
    expect(latencyProbeFits(frame(78, "udp", true))).toBe(false);
    expect(latencyProbeFits(frame(82, "udp", true))).toBe(true);
  });
});

describe("latencyFigures", () => {
  it("leaves out a maximum TRex has not counted yet (0, below the minimum)", () => {
    const early = { minUs: 811, avgUs: 994, maxUs: 0 };
    const counted = { minUs: 20, avgUs: 380, maxUs: 6028 };
    expect(latencyFigures([early])).toEqual({ min: 811, avg: 994 });
    expect(latencyFigures([early, counted])).toEqual({ min: 20, avg: 687, max: 6028 });
  });
});
