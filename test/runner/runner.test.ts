import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { capacityPps, DUT_PRESETS } from "../../src/emulator/dut-model.ts";
import { startEmulator, type FaultSpec, type RunningEmulator } from "../../src/emulator/index.ts";
import { DEFAULT_FRAME_SIZES, lineRatePps } from "../../src/rate/line-rate.ts";
import type { RunResult } from "../../src/report/result.ts";
import { checkPortPair } from "../../src/runner/port-pair.ts";
import { prepareRun, runBenchmark, RunSetupError } from "../../src/runner/runner.ts";
import { openSession } from "../../src/session/index.ts";
import type { RunEvent, RunOptions } from "../../src/runner/types.ts";
import { benchmark, emulatedRun, pngSize, PROFILES, readCsv, tempDir } from "./helpers.ts";

const SPEED = 10e9;

/** A run's options against an emulator with these faults, on its address (not --emulate). */
async function onFaultyServer(
  faults: FaultSpec[],
  use: (opts: RunOptions, emulator: RunningEmulator) => Promise<void>,
): Promise<void> {
  const emulator = await startEmulator({ rpcPort: 0, asyncPort: 0, timeScale: 0, faults });
  try {
    await use(emulatedRun({ emulate: null, server: emulator.rpcUrl }), emulator);
  } finally {
    await emulator.stop();
  }
}

describe("runBenchmark against the emulator (bisection)", () => {
  it("finds line rate at every size on an ideal DUT", async () => {
    const opts = emulatedRun({
      sizes: [...DEFAULT_FRAME_SIZES],
      emulate: { dut: "ideal", timeScale: 0, seed: 1 },
    });
    const { result, exitCode } = await benchmark(opts);
    expect(exitCode).toBe(0);
    expect(result.status).toBe("complete");
    expect(result.speedBps).toBe(SPEED);
    expect(result.sizes.map((s) => s.frameSize)).toEqual(DEFAULT_FRAME_SIZES);
    for (const size of result.sizes) {
      const line = lineRatePps(SPEED, size.frameSize);
      expect(size.status).toBe("ok");
      expect(size.theoretical.ratePps).toBeCloseTo(line, 6);
      // bisection in whole percent of line rate: within 1 % of it
      expect(size.results[0].ratePps).toBeGreaterThanOrEqual(0.99 * line);
      expect(size.results[0].ratePps).toBeLessThanOrEqual(line * 1.000001);
      expect(size.results[0].lossRatio).toBe(0);
      expect(size.trialCount).toBe(8);
    }
  });

  it("finds the DUT's capacity at 64 B within the bisection's precision", async () => {
    const { result } = await benchmark(emulatedRun({ sizes: [64] }));
    const c = capacityPps(DUT_PRESETS.default, 64);
    const line = lineRatePps(SPEED, 64);
    const found = result.sizes[0].results[0].ratePps;
    expect(found).toBeLessThanOrEqual(c);
    expect(c - found).toBeLessThanOrEqual(0.01 * line);
  });

  it("reports N/A for a size the profile's headers do not fit", async () => {
    const opts = emulatedRun({ profilePath: join(PROFILES, "srv6_1pkt.ts"), sizes: [64, 128] });
    const { result, exitCode } = await benchmark(opts);
    expect(result.sizes[0]).toMatchObject({
      frameSize: 64,
      status: "n/a",
      results: [],
      trialCount: 0,
    });
    expect(result.sizes[0].reason).toMatch(/64/);
    expect(result.sizes[1].status).toBe("ok");
    expect(exitCode).toBe(0);
  });

  it("measures latency at each result's rate with --latency", async () => {
    const { result } = await benchmark(emulatedRun({ sizes: [64], latencyPps: 1000 }));
    const latency = result.sizes[0].results[0].latencyUs!;
    // DUT model: base 5 µs + 0.232 µs service time, plus queueing near capacity
    expect(latency.min).toBeGreaterThanOrEqual(5);
    expect(latency.avg).toBeGreaterThanOrEqual(latency.min);
    expect(latency.max).toBeGreaterThanOrEqual(latency.avg);
    expect(latency.max).toBeLessThan(5 + 2 * 4096 * 0.232 + 1);
  });

  it("runs a mix (IMIX) as one point at its rate-weighted mean frame size", async () => {
    const opts = emulatedRun({ profilePath: join(PROFILES, "imix.ts"), sizes: [] });
    const { result } = await benchmark(opts);
    const mean = (7 * 64 + 4 * 570 + 1518) / 12;
    expect(result.parameters.sizes).toEqual([Math.round(mean)]);
    expect(result.sizes[0].theoretical.ratePps).toBeCloseTo(lineRatePps(SPEED, mean), 6);
    const c = capacityPps(DUT_PRESETS.default, mean);
    expect(c - result.sizes[0].results[0].ratePps).toBeLessThanOrEqual(
      0.01 * lineRatePps(SPEED, mean),
    );
  });

  it("sends in both directions with --bidirectional, rates per direction", async () => {
    const opts = emulatedRun({ sizes: [64], bidirectional: true, search: "bisection" });
    const { result } = await benchmark(opts);
    const one = await benchmark(emulatedRun({ sizes: [64], search: "bisection" }));
    // each direction is its own DUT path: the same per-direction result as one way
    expect(result.sizes[0].results[0].ratePps).toBeCloseTo(
      one.result.sizes[0].results[0].ratePps,
      6,
    );
    const trials = readCsv(join(opts.outDir, "trials.csv"));
    const header = trials[0];
    const first = trials[1];
    const pps = Number(first[header.indexOf("rate_pps")]);
    const tx = Number(first[header.indexOf("tx_packets")]);
    expect(tx).toBe(2 * Math.round(pps * 30));
  });

  it("writes result.json, the classic CSVs, summary, trials and three charts", async () => {
    const opts = emulatedRun({ sizes: [64, 128, 1518] });
    await benchmark(opts);
    const result = JSON.parse(readFileSync(join(opts.outDir, "result.json"), "utf8")) as RunResult;
    expect(result).toMatchObject({
      schemaVersion: 2,
      status: "complete",
      speedBps: SPEED,
    });
    expect(result.profile.name).toBe("tcp_1pkt");
    expect(result.parameters.thresholds).toEqual([{ name: "NDR", lossPct: 0.01 }]);
    for (const metric of ["Mpps", "L1Gbps", "L2Gbps"]) {
      const rows = readCsv(join(opts.outDir, `${metric}.csv`));
      expect(rows[0]).toEqual([metric]);
      expect(rows[1]).toEqual(["packet_size", "actual", "theoretical"]);
      expect(rows.slice(2).map((r) => r[0])).toEqual(["64", "128", "1518"]);
      const png = pngSize(join(opts.outDir, `${metric}.png`));
      expect(png.width).toBeGreaterThanOrEqual(800);
      expect(png.height).toBeGreaterThanOrEqual(400);
    }
    const mpps = readCsv(join(opts.outDir, "Mpps.csv"));
    expect(Number(mpps[4][2])).toBeCloseTo(lineRatePps(SPEED, 1518) / 1e6, 9);
    const trials = readCsv(join(opts.outDir, "trials.csv"));
    expect(trials.length - 1).toBe(result.sizes.reduce((n, s) => n + s.trialCount, 0));
    // Each result names the trials.csv rows that established it, one of them a full-length
    // pass at that rate or above.
    const col = (name: string): number => trials[0].indexOf(name);
    for (const size of result.sizes) {
      for (const res of size.results) {
        const rows = res.trials!.map((t) =>
          trials.find(
            (r) => r[col("frame_size")] === String(size.frameSize) && r[col("trial")] === String(t),
          )!,
        );
        expect(rows.length).toBeGreaterThan(0);
        expect(
          rows.some(
            (r) =>
              Number(r[col("rate_pps")]) >= res.ratePps &&
              Number(r[col("duration_s")]) === 30 &&
              r[col("verdict_NDR")] === "pass",
          ),
        ).toBe(true);
      }
    }
    expect(existsSync(join(opts.outDir, "summary.csv"))).toBe(true);
  });

  it("stops on abort, keeps finished sizes and leaves the ports released and idle", async () => {
    const emulator = await startEmulator({
      rpcPort: 0,
      asyncPort: 0,
      timeScale: 0,
      dut: "default",
    });
    try {
      const controller = new AbortController();
      const events: RunEvent[] = [];
      const opts = emulatedRun({
        sizes: [64, 128, 256],
        emulate: null,
        server: emulator.rpcUrl,
      });
      const outcome = await benchmark(opts, {
        rxDrainMs: 0,
        signal: controller.signal,
        onEvent: (e) => {
          events.push(e);
          if (e.type === "size") controller.abort();
        },
      });
      expect(outcome.exitCode).toBe(130);
      expect(outcome.result.status).toBe("interrupted");
      const onDisk = JSON.parse(
        readFileSync(join(opts.outDir, "result.json"), "utf8"),
      ) as RunResult;
      expect(onDisk.status).toBe("interrupted");
      expect(onDisk.sizes.map((s) => s.frameSize)).toEqual([64]);
      for (const port of [0, 1]) {
        expect(emulator.portState(port).owner).toBe("");
        expect(["IDLE", "STREAMS"]).toContain(emulator.portState(port).state);
      }

      // --resume: the finished size is kept, the rest are measured
      const resumed = await benchmark(opts, { resume: onDisk, rxDrainMs: 0 });
      expect(resumed.result.status).toBe("complete");
      expect(resumed.result.sizes.map((s) => s.frameSize)).toEqual([64, 128, 256]);
      expect(resumed.result.sizes[0]).toEqual(onDisk.sizes[0]);
    } finally {
      await emulator.stop();
    }
  });

  it("refuses to take a port owned by someone else, naming the owner", async () => {
    await onFaultyServer([{ kind: "foreign-owner", port: 1, owner: "alice" }], async (opts) => {
      await expect(benchmark(opts)).rejects.toThrow(/alice/);
    });
  });

  it("refuses a port whose link is down, naming the port", async () => {
    await onFaultyServer([{ kind: "link-down", port: 1 }], async (opts, emulator) => {
      await expect(benchmark(opts)).rejects.toThrow(/^port 1 on tcp:.* has no link/);
      expect(emulator.portState(0).owner).toBe("");
    });
  });

  it("refuses an unresolved port before taking any, naming it (TRex would refuse to start)", async () => {
    await onFaultyServer([{ kind: "unresolved", port: 0 }], async (opts, emulator) => {
      await expect(benchmark(opts)).rejects.toThrow(/^port 0 on tcp:.* has no destination MAC/);
      expect([0, 1].map((p) => emulator.portState(p).owner)).toEqual(["", ""]);
    });
  });

  it("never reports more than a slow generator sent, and says generator-limited", async () => {
    const opts = emulatedRun({
      sizes: [64, 1518],
      search: "mlr",
      thresholds: [
        { name: "NDR", lossPct: 0.01 },
        { name: "PDR", lossPct: 0.5 },
      ],
      emulate: { dut: "software", timeScale: 0, seed: 1 },
    });
    const { result } = await benchmark(opts);
    const trials = readCsv(join(opts.outDir, "trials.csv"));
    const col = (name: string) => trials[0].indexOf(name);
    for (const size of result.sizes) {
      expect(size.results).toHaveLength(2);
      for (const r of size.results) {
        expect(r.generatorLimited).toBe(true);
        expect(r.lineRateLimited).toBe(false);
        expect(r.ratePps).toBeLessThanOrEqual(r.offeredPps!);
        // Every trial that decided the result was offered at least the reported rate.
        for (const n of r.trials!) {
          const row = trials.find((t) => t[0] === String(size.frameSize) && t[1] === String(n))!;
          const offered = Number(row[col("offered_pps")]);
          if (row[col("verdict_NDR")] === "pass") {
            expect(r.ratePps).toBeLessThanOrEqual(offered);
          }
        }
      }
      // The first trial asked for line rate and was seen to fall short.
      const first = trials.find((t) => t[0] === String(size.frameSize) && t[1] === "0")!;
      expect(first[col("invalid_reason")]).toMatch(/^generator-limited: offered/);
      expect(Number(first[col("elapsed_s")])).toBeGreaterThan(1.5);
    }
    const summary = readCsv(join(opts.outDir, "summary.csv"));
    expect(summary.slice(1).map((r) => r[summary[0].indexOf("status")])).toEqual(
      Array(4).fill("generator-limited"),
    );
  });

  it("says when TRex's own receiver dropped packets (rx_missed_errors), once per size", async () => {
    const dut = join(tempDir(), "slow-receiver.yaml");
    writeFileSync(dut, "perPacketNs: 0\nperByteNs: 0\ngenerator:\n  rxMaxPps: 150000\n");
    const events: RunEvent[] = [];
    const opts = emulatedRun({ sizes: [64], emulate: { dut, timeScale: 0, seed: 1 } });
    const { result } = await benchmark(opts, { onEvent: (e) => events.push(e) });
    const warnings = events.flatMap((e) => (e.type === "warning" ? [e.message] : []));
    expect(warnings.filter((w) => w.includes("rx_missed_errors"))).toEqual([
      expect.stringMatching(
        /^64 B: TRex's receiving port dropped \d+ packets itself \(rx_missed_errors\) in a trial at \d+ pps: that loss is counted against the DUT; on af_packet enlarge the receive ring/,
      ),
    ]);
    // The loss is still counted: the result is the receiver's 150 kpps, not the DUT's line rate.
    expect(result.sizes[0].results[0].ratePps).toBeLessThanOrEqual(150_000);
  });

  it("measures latency at a line-rate result without going over the line", async () => {
    const events: RunEvent[] = [];
    const opts = emulatedRun({
      sizes: [64],
      latencyPps: 1000,
      emulate: { dut: "ideal", timeScale: 0, seed: 1 },
    });
    const { result } = await benchmark(opts, { onEvent: (e) => events.push(e) });
    const [ndr] = result.sizes[0].results;
    expect(ndr.lineRateLimited).toBe(true);
    expect(ndr.latencyUs).toBeDefined();
    const warning = events.find((e) => e.type === "warning");
    // The 64 B TCP frame has 6 payload bytes: the probe is the profile's 80 B frame, and the
    // traffic under test gives up its 1000 pps x (80 + 20) x 8 bits.
    const roomPps = (10e9 * (1 - 1e-6) - 1000 * (80 + 20) * 8) / ((64 + 20) * 8);
    expect(warning).toMatchObject({
      message: `64 B: latency measured at ${roomPps.toFixed(0)} pps, not 14880952: the latency stream needs room on the link`,
    });
  });

  it("runs on the session it is given, leaves it open, and records that server", async () => {
    const first = emulatedRun({ sizes: [64] });
    const session = await openSession(first, { outDir: first.outDir });
    try {
      const a = await runBenchmark(await prepareRun(first), session);
      // The caller's session outlives the run: a second run uses the same server.
      const second = emulatedRun({ sizes: [1518] });
      const b = await runBenchmark(await prepareRun(second), session);
      expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
      expect(a.result.server).toEqual(session.description);
      expect(b.result.server.address).toBe(session.address);
      expect(await session.client.ping()).toBeGreaterThanOrEqual(0);
      const ports = await session.client.refreshPorts();
      expect(ports.map((p) => p.owner)).toEqual(["", ""]); // released after each run
    } finally {
      await session.close();
    }
  });

  it("loads the profile before any session: a bad profile fails without a server", async () => {
    const opts = emulatedRun({ profilePath: join(PROFILES, "no-such-profile.ts") });
    await expect(prepareRun(opts)).rejects.toThrow(/no-such-profile\.ts/);
    expect(existsSync(join(opts.outDir, "result.json"))).toBe(false);
  });

  it("fails clearly when no server answers", async () => {
    const opts = emulatedRun({ emulate: null, server: "127.0.0.1:1" });
    await expect(benchmark(opts)).rejects.toThrow(/127\.0\.0\.1:1/);
  });
});

describe("port pair checks", () => {
  const ports = [
    { portId: 0, speedBps: 10e9 },
    { portId: 1, speedBps: 25e9 },
    { portId: 2, speedBps: 10e9 },
  ];
  it("refuses mismatched speeds unless allowed", () => {
    const opts = { txPort: 0, rxPort: 1, allowSpeedMismatch: false };
    expect(() => checkPortPair(ports, opts, "tcp://h:4501")).toThrow(RunSetupError);
    expect(() => checkPortPair(ports, opts, "tcp://h:4501")).toThrow(
      /port 0 runs at 10 Gb\/s but port 1 at 25 Gb\/s/,
    );
    expect(checkPortPair(ports, { ...opts, allowSpeedMismatch: true }, "x")).toBe(10e9);
    expect(checkPortPair(ports, { txPort: 0, rxPort: 2, allowSpeedMismatch: false }, "x")).toBe(
      10e9,
    );
  });
  it("refuses a port without a link, naming it (a real TRex reports speed 0)", () => {
    const opts = { txPort: 0, rxPort: 1, allowSpeedMismatch: true };
    const down = [
      { portId: 0, speedBps: 10e9 },
      { portId: 1, speedBps: 0, linkUp: false },
    ];
    expect(() => checkPortPair(down, opts, "tcp://h:4501")).toThrow(
      /^port 1 on tcp:\/\/h:4501 has no link \(link down, speed 0 Gb\/s\)/,
    );
    const noSpeed = [{ portId: 0, speedBps: 0 }, ports[1]];
    expect(() => checkPortPair(noSpeed, opts, "x")).toThrow(/^port 0 on x has no link/);
  });
  it("refuses a sending port without a destination MAC (L3, gateway unresolved)", () => {
    const opts = { txPort: 0, rxPort: 1, allowSpeedMismatch: false };
    const unresolved = (port: number) =>
      [0, 1].map((portId) => ({ portId, speedBps: 10e9, resolved: portId !== port }));
    expect(() => checkPortPair(unresolved(0), opts, "tcp://h:4501")).toThrow(
      /^port 0 on tcp:\/\/h:4501 has no destination MAC: TRex could not resolve its default_gw by ARP/,
    );
    // The receiving port sends nothing, unless both directions run.
    expect(checkPortPair(unresolved(1), opts, "x")).toBe(10e9);
    expect(() => checkPortPair(unresolved(1), { ...opts, bidirectional: true }, "x")).toThrow(
      /^port 1 on x has no destination MAC/,
    );
  });
  it("names a missing port", () => {
    expect(() =>
      checkPortPair(ports, { txPort: 0, rxPort: 5, allowSpeedMismatch: false }, "tcp://h:4501"),
    ).toThrow(/port 5 does not exist on tcp:\/\/h:4501 \(it has ports 0, 1, 2\)/);
  });
});
