import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startEmulator } from "../../src/emulator/index.ts";
import type { RunResult } from "../../src/report/result.ts";
import { tempDir } from "../runner/helpers.ts";
import { autotrex } from "./helpers.ts";

function readResult(dir: string): RunResult | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, "result.json"), "utf8")) as RunResult;
  } catch {
    return undefined;
  }
}

describe("autotrex run (the CLI, as a user runs it)", () => {
  it("runs a sweep on the embedded emulator and writes the charts, CSVs and result.json", async () => {
    const out = tempDir();
    const r = await autotrex([
      "run",
      "profiles/tcp_1pkt.ts",
      "--emulate",
      "--sizes",
      "64,1518",
      "--out",
      out,
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/64 B: 4\.\d+ Mpps NDR \(≤0\.01 %\), 4\.\d+ Mpps PDR \(≤0\.5 %\) — /);
    // The default DUT forwards 1518 B at line rate: the figure says that the line bounded it.
    expect(r.stdout).toMatch(
      /1518 B: 0\.813 Mpps NDR \(≤0\.01 %\) \(at line rate\), 0\.813 Mpps PDR \(≤0\.5 %\) \(at line rate\)/,
    );
    expect(r.stdout).toContain(`results: ${out}`);
    for (const f of [
      "result.json",
      "Mpps.csv",
      "L1Gbps.csv",
      "L2Gbps.csv",
      "Mpps.png",
      "L1Gbps.png",
      "L2Gbps.png",
      "summary.csv",
      "trials.csv",
    ]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(readResult(out)?.status).toBe("complete");
  });

  it("stops within a second on Ctrl-C: exit 130, ports released, measured sizes on disk", async () => {
    // 30 s trials at time scale 0.02 take 0.6 s of real time each
    const emulator = await startEmulator({ rpcPort: 0, asyncPort: 0, timeScale: 0.02 });
    try {
      const out = tempDir();
      let signalledAt = 0;
      const r = await autotrex(
        [
          "run",
          "profiles/tcp_1pkt.ts",
          "--server",
          emulator.rpcUrl,
          "--sizes",
          "1518,1280,1024,512",
          "--out",
          out,
        ],
        ({ kill }) => {
          const poll = setInterval(() => {
            if ((readResult(out)?.sizes.length ?? 0) >= 1 && emulator.portState(0).state === "TX") {
              clearInterval(poll);
              signalledAt = Date.now();
              kill("SIGINT");
            }
          }, 20);
        },
      );
      const exitedAfterMs = Date.now() - signalledAt;
      expect(r.code).toBe(130);
      expect(exitedAfterMs).toBeLessThan(1000);
      const result = readResult(out)!;
      expect(result.status).toBe("interrupted");
      expect(result.sizes.length).toBeGreaterThanOrEqual(1);
      expect(result.sizes[0]).toMatchObject({ frameSize: 1518, status: "ok" });
      for (const port of [0, 1]) {
        expect(emulator.portState(port).owner).toBe("");
        expect(emulator.portState(port).state).not.toBe("TX");
      }

      // --resume finishes the run with the same parameters
      const resumed = await autotrex(["run", "--resume", out, "--quiet"]);
      expect(resumed.code).toBe(0);
      expect(readResult(out)?.sizes.map((s) => s.frameSize)).toEqual([1518, 1280, 1024, 512]);
    } finally {
      await emulator.stop();
    }
  });

  it("reports a slower DUT as a regression against a baseline: exit 1 and JUnit failures", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "slow.yaml"), "perPacketNs: 230\n");
    const base = join(dir, "base");
    const common = ["run", "profiles/tcp_1pkt.ts", "--emulate", "--sizes", "64,1518", "--quiet"];
    expect((await autotrex([...common, "--out", base])).code).toBe(0);
    const junit = join(dir, "junit.xml");
    const slow = await autotrex([
      ...common,
      ...[
        "--dut",
        join(dir, "slow.yaml"),
        "--out",
        join(dir, "slow"),
        "--baseline",
        base,
        "--junit",
        junit,
      ],
    ]);
    expect(slow.code).toBe(1);
    const xml = readFileSync(junit, "utf8");
    // 64 B is DUT-limited (slower), 1518 B line-limited (unchanged): 2 of 4 cases fail
    expect(xml).toMatch(/<testsuites [^>]*tests="4" failures="2"/);
    expect(xml).toMatch(/<testcase [^>]*name="tcp_1pkt 64B NDR\(0\.01%\)"[^>]*>\s*<failure /);
  });

  it("does not call a drop to the generator's ceiling a regression: inconclusive, exit 0", async () => {
    const dir = tempDir();
    const base = join(dir, "base");
    const common = ["run", "profiles/tcp_1pkt.ts", "--emulate", "--sizes", "64", "--quiet"];
    expect((await autotrex([...common, "--out", base])).code).toBe(0);
    // The same DUT behind a software generator (600 kpps): 64 B is the generator's ceiling.
    const md = join(dir, "summary.md");
    const slowGen = await autotrex([
      ...common,
      ...["--dut", "software", "--out", join(dir, "sw"), "--baseline", base, "--markdown", md],
    ]);
    expect(slowGen.stderr).toBe("");
    expect(slowGen.code).toBe(0);
    const text = readFileSync(md, "utf8");
    expect(text).toContain("no regression (2 inconclusive)");
    expect(text).toMatch(/64 B \| NDR\(0\.01%\) \| 4\.\d+ \| 0\.\d+ \| -8\d\.\d+ \| inconclusive/);
    expect(text).toContain(
      "not judged: generator-limited: the generator never offered the baseline's rate",
    );
  });

  it("exits 3 with a clear message when no server answers, never falling back to the emulator", async () => {
    const r = await autotrex([
      "run",
      "profiles/tcp_1pkt.ts",
      "--server",
      "127.0.0.1:9",
      "--sizes",
      "64",
      "--out",
      tempDir(),
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/no TRex server answering at tcp:\/\/127\.0\.0\.1:9/);
  });

  it("exits 2 on bad input, naming what was wrong", async () => {
    const size = await autotrex([
      "run",
      "profiles/tcp_1pkt.ts",
      "--emulate",
      "--sizes",
      "64,10000",
    ]);
    expect(size.code).toBe(2);
    expect(size.stderr).toMatch(/frame size 10000 B is outside 64\.\.9216/);
    const profile = await autotrex(["run", "no/such/profile.ts", "--emulate"]);
    expect(profile.code).toBe(2);
    expect(profile.stderr).toMatch(/no\/such\/profile\.ts: no such profile file/);
    const limit = await autotrex([
      "run",
      "profiles/tcp_1pkt.ts",
      "--emulate",
      "--size-time-limit",
      "0",
    ]);
    expect(limit.code).toBe(2);
    expect(limit.stderr).toMatch(/--size-time-limit/);
  });

  it("stops searching a frame size at --size-time-limit, says so and keeps what it found", async () => {
    const out = tempDir();
    // The noisy DUT needs about 90 trial-s at 64 B; 40 is not enough to settle.
    const r = await autotrex([
      "run",
      "profiles/tcp_1pkt.ts",
      "--emulate",
      "--dut",
      "noisy",
      "--sizes",
      "64",
      "--size-time-limit",
      "40",
      "--out",
      out,
    ]);
    expect(r.stdout).toMatch(/64 B: search stopped early: time limit/);
    const result = readResult(out)!;
    expect(result.parameters.sizeTimeLimitS).toBe(40);
    expect(result.sizes[0].trialSeconds).toBeLessThanOrEqual(40);
    // Whatever it reports rests on a full-length trial; without one the size has failed.
    expect([0, 1]).toContain(r.code);
    for (const res of result.sizes[0].results) expect(res.trials!.length).toBeGreaterThan(0);
  });
});
