import { describe, expect, it } from "vitest";
import {
  frameSizeProblem,
  l1Bps,
  l2Bps,
  lineRatePps,
  lossFigures,
  meanFrameSize,
  packetBytesForFrame,
} from "../../src/rate/line-rate.ts";

describe("line rate", () => {
  it("matches the known 10 GbE figures", () => {
    // 10e9 / (84 * 8) and 10e9 / (1538 * 8), the figures every RFC 2544 report quotes.
    expect(lineRatePps(10e9, 64)).toBeCloseTo(14_880_952.38, 2);
    expect(lineRatePps(10e9, 1518)).toBeCloseTo(812_743.82, 2);
    expect(lineRatePps(100e9, 64)).toBeCloseTo(148_809_523.81, 2);
    expect(lineRatePps(10e9, 9216)).toBeCloseTo(135_339.97, 2);
  });

  it("gives the link speed back as L1 throughput at line rate", () => {
    for (const size of [64, 128, 256, 512, 1024, 1280, 1518, 2048, 4096, 8192, 9216]) {
      expect(l1Bps(lineRatePps(10e9, size), size)).toBeCloseTo(10e9, 3);
      expect(l2Bps(lineRatePps(10e9, size), size)).toBeCloseTo((10e9 * size) / (size + 20), 3);
    }
  });

  it("counts L2 as the frame alone and L1 with preamble, SFD and gap", () => {
    expect(l2Bps(1_000_000, 64)).toBe(512_000_000);
    expect(l1Bps(1_000_000, 64)).toBe(672_000_000);
  });

  it("excludes the FCS from the packet bytes", () => {
    expect(packetBytesForFrame(64)).toBe(60);
    expect(packetBytesForFrame(9216)).toBe(9212);
  });

  it("weights the mean frame size of a mix by packet rate (IMIX 7:4:1)", () => {
    const mean = meanFrameSize([
      { frameSize: 64, ratePps: 7 },
      { frameSize: 570, ratePps: 4 },
      { frameSize: 1518, ratePps: 1 },
    ]);
    expect(mean).toBeCloseTo((7 * 64 + 4 * 570 + 1518) / 12, 10);
    expect(() => meanFrameSize([])).toThrow(RangeError);
  });
});

describe("loss", () => {
  it("is (tx - rx) / tx", () => {
    expect(lossFigures(1_000_000, 999_900)).toEqual({ lossRatio: 1e-4, strayPackets: 0 });
    expect(lossFigures(10, 10)).toEqual({ lossRatio: 0, strayPackets: 0 });
  });

  it("reports rx > tx as stray packets, never as negative loss", () => {
    expect(lossFigures(100, 103)).toEqual({ lossRatio: 0, strayPackets: 3 });
  });

  it("treats a trial that sent nothing as total loss", () => {
    expect(lossFigures(0, 0).lossRatio).toBe(1);
  });
});

describe("frame size validation", () => {
  it("accepts 64..9216 and names the size otherwise", () => {
    expect(frameSizeProblem(64)).toBeUndefined();
    expect(frameSizeProblem(9216)).toBeUndefined();
    expect(frameSizeProblem(63)).toMatch(/63 B is outside 64\.\.9216/);
    expect(frameSizeProblem(9217)).toMatch(/9217/);
    expect(frameSizeProblem(100.5)).toMatch(/whole number/);
  });
});
