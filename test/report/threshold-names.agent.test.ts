/** Threshold names through the gRPC agent: the request carries them, the files use them. */
import * as grpc from "@grpc/grpc-js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runViaAgent } from "../../src/agent/client.ts";
import type { RunRequest } from "../../src/agent/protocol.ts";
import { Agent } from "../../src/agent/server.ts";
import { AgentError } from "../../src/agent/client.ts";
import { readRunResult } from "../../src/report/read-result.ts";
import { PROFILES, tempDir } from "../runner/helpers.ts";
import { runRequest, startEmulatedAgent, TOKEN } from "../agent/helpers.ts";

/** One size, the default thresholds unless a test names its own. */
function request(overrides: Partial<RunRequest>): RunRequest {
  return runRequest({ sizes: [64], lossThresholdsPct: [], label: "thresholds", ...overrides });
}

describe("threshold names through the agent", () => {
  let agent: Agent;
  let address: string;

  beforeAll(async () => {
    ({ agent, address } = await startEmulatedAgent({ profilesDir: PROFILES }));
  });

  afterAll(async () => {
    await agent.stop();
  });

  it("runs strict=0,loose=1 and its files say strict and loose", async () => {
    const out = tempDir("autotrex-agent-out-");
    const outcome = await runViaAgent(
      { address, token: TOKEN },
      request({ lossThresholdsPct: [0, 1], lossThresholdNames: ["strict", "loose"] }),
      out,
      {},
    );
    expect(outcome.exitCode).toBe(0);
    const result = readRunResult(out);
    expect(result.parameters.thresholds).toEqual([
      { name: "strict", lossPct: 0 },
      { name: "loose", lossPct: 1 },
    ]);
    expect(result.sizes[0].results.map((r) => r.threshold)).toEqual(["strict", "loose"]);
    expect(readFileSync(join(out, "trials.csv"), "utf8")).toContain("verdict_strict,verdict_loose");
  });

  it("names bare percentages by their loss, and takes the search's defaults when none come", async () => {
    const plain = await runViaAgent(
      { address, token: TOKEN },
      request({ lossThresholdsPct: [0.5] }),
      tempDir("autotrex-agent-out-"),
      {},
    );
    expect(plain.result?.parameters.thresholds).toEqual([{ name: "PDR", lossPct: 0.5 }]);
    const none = await runViaAgent(
      { address, token: TOKEN },
      request({}),
      tempDir("autotrex-agent-out-"),
      {},
    );
    expect(none.result?.parameters.thresholds).toEqual([{ name: "NDR", lossPct: 0.01 }]);
  });

  it.each([
    [{ lossThresholdsPct: [0.01, 0.5], lossThresholdNames: ["NDR"] }, "1 names for 2"],
    [{ lossThresholdsPct: [0.01, 0.5], lossThresholdNames: ["a", "a"] }, "name a given twice"],
    [{ lossThresholdsPct: [0.01], lossThresholdNames: ["no name"] }, `"no name" is not a name`],
  ])("refuses bad names as an invalid argument (%o)", async (overrides, message) => {
    let error: unknown;
    try {
      await runViaAgent({ address, token: TOKEN }, request(overrides), tempDir(), {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AgentError);
    expect((error as AgentError).grpcCode).toBe(grpc.status.INVALID_ARGUMENT);
    expect((error as Error).message).toContain(message);
  });
});
