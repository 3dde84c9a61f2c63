/**
 * The agent and a local run accept and refuse the same runs, with the same statuses and lines:
 * both go through the one run spec (src/runner/spec.ts). Each case runs the real CLI twice,
 * locally on the emulator and through `run --agent`.
 */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as grpc from "@grpc/grpc-js";
import { AgentError, runViaAgent } from "../../src/agent/client.ts";
import type { RunRequest } from "../../src/agent/protocol.ts";
import { Agent } from "../../src/agent/server.ts";
import type { RunResult } from "../../src/report/result.ts";
import { autotrex, ROOT, tempDir } from "../cli/helpers.ts";
import { startEmulatedAgent, TOKEN } from "./helpers.ts";

describe("agent and local run parity", () => {
  let agent: Agent;
  let address: string;
  const profiles = tempDir("autotrex-parity-profiles-");
  const tokenFile = join(tempDir("autotrex-parity-token-"), "token");

  beforeAll(async () => {
    copyFileSync(join(ROOT, "profiles/tcp_1pkt.ts"), join(profiles, "tcp_1pkt.ts"));
    // A profile with its own sweep: both ways must measure exactly these sizes.
    const own = readFileSync(join(ROOT, "profiles/tcp_1pkt.ts"), "utf8").replace(
      "export default defineProfile({",
      "export default defineProfile({\n  frameSizes: [1024, 1518],",
    );
    writeFileSync(join(profiles, "own_sweep.ts"), own);
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    ({ agent, address } = await startEmulatedAgent({ profilesDir: profiles }));
  });
  afterAll(async () => {
    await agent.stop();
  });

  const local = (profile: string, flags: string[]) =>
    autotrex(["run", join(profiles, profile), "--emulate", "--out", tempDir(), ...flags]);
  const remote = (profile: string, flags: string[]) =>
    autotrex([
      "run",
      "--agent",
      address,
      "--token-file",
      tokenFile,
      profile,
      "--out",
      tempDir(),
      ...flags,
    ]);
  const lastLine = (text: string) => text.trim().split("\n").at(-1) ?? "";

  it.each([
    [["--sizes", "64,64"], "--sizes: frame size 64 is listed twice"],
    [["--duration", "4000"], "--duration: 4000 is not a number above 0 and at most 3600"],
    [["--loss-threshold", "NDR=100"], "--loss-threshold"],
    [["--search", "nosuch"], "--search: unknown search 'nosuch'"],
    [["--tx-port", "1", "--rx-port", "1"], "--rx-port: is the tx port too (1)"],
    [["--size-time-limit", "-5"], "--size-time-limit: -5 is not a number above 0"],
    [["--profile-timeout", "-5"], '--profile-timeout "-5": expected seconds to load the profile'],
  ])("%j: refused both ways, exit 2, the same reason", async (flags, reason) => {
    const [a, b] = [await local("tcp_1pkt.ts", flags), await remote("tcp_1pkt.ts", flags)];
    expect([a.code, b.code]).toEqual([2, 2]);
    expect(lastLine(a.stderr)).toContain(reason);
    expect(lastLine(b.stderr)).toContain(reason);
  });

  it.each([
    [{ sizes: [64, 64] }, "--sizes: frame size 64 is listed twice"],
    [{ durationS: 4000 }, "--duration: 4000 is not a number above 0 and at most 3600"],
    [{ lossThresholdsPct: [100] }, "--loss-threshold"],
    [{ search: "nosuch" }, "--search: unknown search 'nosuch'"],
    [{ txPort: 1, rxPort: 1 }, "--rx-port: is the tx port too (1)"],
    [{ sizeTimeLimitS: -5 }, "--size-time-limit: -5 is not a number above 0"],
    [{ profileTimeoutS: -5 }, "--profile-timeout -5: expected seconds to load the profile"],
  ] as Array<[Partial<RunRequest>, string]>)(
    "the agent itself refuses %j with the local run's reason",
    async (fields, reason) => {
      const request: RunRequest = {
        profile: "tcp_1pkt.ts",
        sizes: [],
        durationS: 0,
        lossThresholdsPct: [],
        search: "",
        encapOverhead: 0,
        txPort: 0,
        rxPort: 0,
        bidirectional: false,
        latencyPps: 0,
        force: false,
        label: "parity",
        ...fields,
      };
      const err = await runViaAgent({ address, token: TOKEN }, request, tempDir(), {}).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AgentError);
      expect((err as AgentError).grpcCode).toBe(grpc.status.INVALID_ARGUMENT);
      expect((err as AgentError).message).toContain(reason);
    },
  );

  it("an unknown profile: exit 2 both ways", async () => {
    const [a, b] = [await local("nosuch.ts", []), await remote("nosuch.ts", [])];
    expect([a.code, b.code]).toEqual([2, 2]);
  });

  it("a profile's own sweep and the size time limit are kept both ways", async () => {
    const flags = ["--size-time-limit", "45", "--quiet", "--json"];
    const [a, b] = [await local("own_sweep.ts", flags), await remote("own_sweep.ts", flags)];
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    for (const r of [a, b]) {
      const result = JSON.parse(r.stdout) as RunResult;
      expect(result.parameters.sizes).toEqual([1024, 1518]);
      expect(result.parameters.sizeTimeLimitS).toBe(45);
    }
  });

  it.each([
    [["--time-scale", "abc"], /^autotrex: --time-scale "abc": expected a factor ≥ 0$/],
    [["--seed", "1.5"], /^autotrex: --seed: 1\.5 is not an integer$/],
    [["--dut", "no-such-preset"], /no-such-preset/],
  ])("serve %j refuses to start with run --emulate's line, exit 2", async (flags, line) => {
    const r = await autotrex([
      "serve",
      "--listen",
      "127.0.0.1:0",
      "--token-file",
      tokenFile,
      "--profiles-dir",
      profiles,
      "--results",
      tempDir(),
      "--emulate",
      ...flags,
    ]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    // The same emulator flags given to a local run are refused in the same words.
    const run = await local("tcp_1pkt.ts", flags);
    expect([run.code, run.stderr.trim()]).toEqual([2, lines[0]]);
  });
});
