/** `run --resume` through the CLI: it refuses to mix two runs, names why, and notes what moved. */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startEmulator } from "../../src/emulator/index.ts";
import type { RunResult } from "../../src/report/result.ts";
import { autotrex, expectOneLine, ROOT, tempDir } from "./helpers.ts";

const readResult = (dir: string): RunResult =>
  JSON.parse(readFileSync(join(dir, "result.json"), "utf8")) as RunResult;

/** A finished emulated run of a copy of tcp_1pkt that the test may edit. */
async function storedRun(extra: string[] = []): Promise<{ out: string; profile: string }> {
  const dir = tempDir();
  const profile = join(dir, "tcp_copy.ts");
  copyFileSync(join(ROOT, "profiles/tcp_1pkt.ts"), profile);
  const out = join(dir, "run");
  const r = await autotrex([
    "run",
    profile,
    "--sizes",
    "64,128",
    "--out",
    out,
    "--quiet",
    ...extra,
  ]);
  expect(r.code, r.stderr).toBe(0);
  return { out, profile };
}

describe("run --resume", () => {
  it("refuses flags that would change what is measured, naming each", async () => {
    const { out } = await storedRun(["--emulate"]);
    const r = await autotrex([
      "run",
      "--resume",
      out,
      "--sizes",
      "64",
      "--duration",
      "10",
      "--loss-threshold",
      "0.1",
      "--dut",
      "ideal",
    ]);
    expect(r.code).toBe(2);
    const [line] = expectOneLine(r.stderr);
    expect(line).toContain("--sizes 64 (the run used 64,128)");
    expect(line).toContain("--duration 10 (the run used 30)");
    expect(line).toContain("--loss-threshold PDR=0.1 (the run used NDR=0.01,PDR=0.5)");
    expect(line).toContain("--dut ideal (the run used default)");
    expect(line).toContain("--resume-anyway");
    expect(readResult(out).resumes).toBeUndefined();
  });

  it("refuses a profile edited since the run, and goes on with --resume-anyway, noting it", async () => {
    const { out, profile } = await storedRun(["--emulate"]);
    writeFileSync(profile, readFileSync(profile, "utf8").replace("dport: 12", "dport: 80"));
    const refused = await autotrex(["run", "--resume", out]);
    expect(refused.code).toBe(2);
    expect(expectOneLine(refused.stderr)[0]).toMatch(
      /cannot resume: the profile .*tcp_copy\.ts changed since the run \(its source changed; its streams at 64, 128 B changed\)/,
    );
    const anyway = await autotrex(["run", "--resume", out, "--resume-anyway", "--quiet"]);
    expect(anyway.code, anyway.stderr).toBe(0);
    const [note] = readResult(out).resumes!;
    expect(note.changes).toEqual([
      "profile: its source changed",
      "profile: its streams at 64, 128 B changed",
    ]);
  });

  it("lets the server move, and notes it", async () => {
    const a = await startEmulator({ rpcPort: 0, asyncPort: 0, timeScale: 0 });
    const b = await startEmulator({ rpcPort: 0, asyncPort: 0, timeScale: 0 });
    try {
      const { out } = await storedRun(["--server", a.rpcUrl]);
      const r = await autotrex(["run", "--resume", out, "--server", b.rpcUrl, "--quiet"]);
      expect(r.code, r.stderr).toBe(0);
      const result = readResult(out);
      expect(result.parameters.server).toBe(b.rpcUrl);
      expect(result.resumes![0].changes).toEqual([
        `--server ${b.rpcUrl} (the run used ${a.rpcUrl})`,
      ]);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it("fingerprints the streams of the port that sends (a run from port 1 to port 0)", async () => {
    const { out } = await storedRun(["--emulate", "--tx-port", "1", "--rx-port", "0"]);
    expect(Object.keys(readResult(out).profile.fingerprint!.streamsSha256)).toEqual(["64", "128"]);
    const r = await autotrex(["run", "--resume", out, "--quiet"]);
    expect(r.code, r.stderr).toBe(0);
  });

  it("takes flags that say what the run already had", async () => {
    const { out } = await storedRun(["--emulate"]);
    const r = await autotrex(["run", "--resume", out, "--sizes", "64,128", "--duration", "30"]);
    expect(r.code, r.stderr).toBe(0);
    expect(readResult(out).resumes).toBeUndefined();
  });
});
