/** What the agent tests share: a run request with every field set, and an emulated agent. */
import type { RunRequest } from "../../src/agent/protocol.ts";
import { Agent, type AgentOptions } from "../../src/agent/server.ts";
import { tempDir } from "../runner/helpers.ts";

export const TOKEN = "0123456789abcdef-test-token";

/** tcp_1pkt at 64 and 1518 B, NDR only, bisection: override what a test is about. */
export function runRequest(overrides: Partial<RunRequest> = {}): RunRequest {
  return {
    profile: "tcp_1pkt",
    sizes: [64, 1518],
    durationS: 30,
    lossThresholdsPct: [0.01],
    search: "bisection",
    encapOverhead: 0,
    txPort: 0,
    rxPort: 1,
    bidirectional: false,
    latencyPps: 0,
    force: false,
    label: "test",
    ...overrides,
  };
}

/** An agent on a free loopback port running on the emulator (time scale 0 unless asked). */
export async function startEmulatedAgent(
  opts: Pick<AgentOptions, "profilesDir"> & Partial<AgentOptions> & { timeScale?: number },
): Promise<{ agent: Agent; address: string }> {
  const { timeScale = 0, ...rest } = opts;
  const agent = new Agent({
    listen: "127.0.0.1:0",
    token: TOKEN,
    resultsDir: tempDir("autotrex-agent-"),
    target: { emulate: { dut: "default", timeScale, seed: 1 } },
    ...rest,
  });
  return { agent, address: await agent.start() };
}
