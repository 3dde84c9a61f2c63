import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectAgent, runViaAgent } from "../../src/agent/client.ts";
import type { RunEventMessage, RunRequest } from "../../src/agent/protocol.ts";
import { bearerTokenMatches, resolveProfileName } from "../../src/agent/security.ts";
import { Agent } from "../../src/agent/server.ts";
import type { RunEvent } from "../../src/runner/types.ts";
import { PROFILES, tempDir } from "../runner/helpers.ts";
import { runRequest as request, startEmulatedAgent, TOKEN } from "./helpers.ts";

/** Collects a Run stream to its end (or error). */
function collect(
  address: string,
  token: string,
  req: RunRequest,
): Promise<{ events: RunEventMessage[]; error?: grpc.ServiceError }> {
  const { client, metadata } = connectAgent({ address, token });
  return new Promise((resolve) => {
    const events: RunEventMessage[] = [];
    const stream = client.Run(req, metadata);
    stream.on("data", (e: RunEventMessage) => events.push(e));
    stream.on("error", (error: grpc.ServiceError) => {
      client.close();
      resolve({ events, error });
    });
    stream.on("end", () => {
      client.close();
      resolve({ events });
    });
  });
}

describe("the gRPC agent", () => {
  let agent: Agent;
  let address: string;
  const results = tempDir("autotrex-agent-");

  beforeAll(async () => {
    // a little modelled time per trial, so runs overlap and can be cancelled
    ({ agent, address } = await startEmulatedAgent({
      profilesDir: PROFILES,
      resultsDir: results,
      timeScale: 0.002,
    }));
  });

  afterAll(async () => {
    await agent.stop();
  });

  it("runs a benchmark, streams its progress and hands back its files", async () => {
    const events: RunEvent[] = [];
    const out = tempDir("autotrex-agent-out-");
    const outcome = await runViaAgent({ address, token: TOKEN }, request(), out, {
      onEvent: (e) => events.push(e),
    });
    expect(outcome.exitCode).toBe(0);
    expect(outcome.result?.status).toBe("complete");
    expect(events.filter((e) => e.type === "trial").length).toBe(16);
    expect(
      events
        .filter((e) => e.type === "size")
        .map((e) => (e.type === "size" ? e.size.frameSize : 0)),
    ).toEqual([64, 1518]);
    for (const file of [
      "result.json",
      "Mpps.csv",
      "L1Gbps.csv",
      "L2Gbps.csv",
      "Mpps.png",
      "L1Gbps.png",
      "L2Gbps.png",
      "trials.csv",
    ]) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(out, "result.json"), "utf8")).status).toBe("complete");
  });

  it("queues a second run behind the first, visible in List", async () => {
    const first = collect(address, TOKEN, request({ sizes: [64, 128] }));
    const second = collect(address, TOKEN, request({ sizes: [256], label: "second" }));
    await new Promise((r) => setTimeout(r, 150));
    const { client, metadata } = connectAgent({ address, token: TOKEN });
    const listed = await new Promise<{ runs: Array<{ label: string; state: string }> }>(
      (resolve, reject) =>
        client.List({}, metadata, (err, res) =>
          err ? reject(err) : resolve(res as { runs: Array<{ label: string; state: string }> }),
        ),
    );
    client.close();
    const states = listed.runs
      .filter((r) => r.state === "running" || r.state === "queued")
      .map((r) => r.state);
    expect(states).toContain("running");
    expect(states).toContain("queued");
    const [a, b] = await Promise.all([first, second]);
    expect(a.events.at(-1)?.finished?.status).toBe("complete");
    expect(b.events[0].queuedPosition).toBe(1);
    expect(b.events.at(-1)?.finished?.status).toBe("complete");
  });

  it("cancels a running benchmark like Ctrl-C and keeps what was measured", async () => {
    const { client, metadata } = connectAgent({ address, token: TOKEN });
    const stream = client.Run(request({ sizes: [64, 128, 256, 512, 1024] }), metadata);
    const events: RunEventMessage[] = [];
    await new Promise<void>((resolve, reject) => {
      let cancelled = false;
      stream.on("data", (e: RunEventMessage) => {
        events.push(e);
        if (e.size && !cancelled) {
          cancelled = true;
          client.Cancel({ runId: e.runId }, metadata, (err) => err && reject(err));
        }
      });
      stream.on("end", () => resolve());
      stream.on("error", reject);
    });
    const finished = events.at(-1)?.finished;
    expect(finished?.status).toBe("interrupted");
    expect(finished?.exitCode).toBe(130);
    const result = JSON.parse(finished!.resultJson);
    expect(result.sizes.length).toBeGreaterThanOrEqual(1);
    expect(result.sizes.length).toBeLessThan(5);
    client.close();
  });

  it("refuses a missing or wrong token", async () => {
    const wrong = await collect(address, "wrong-token-wrong-token", request());
    expect(wrong.error?.code).toBe(grpc.status.UNAUTHENTICATED);
    const none = await collect(address, "", request());
    expect(none.error?.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it("takes profiles only by name from its directory", async () => {
    for (const name of ["../profiles/tcp_1pkt.ts", "/etc/passwd", "..", "tcp_1pkt.ts/../../x"]) {
      const { error } = await collect(address, TOKEN, request({ profile: name }));
      expect(error?.code, name).toBe(grpc.status.PERMISSION_DENIED);
    }
    const missing = await collect(address, TOKEN, request({ profile: "no_such_profile" }));
    expect(missing.error?.code).toBe(grpc.status.NOT_FOUND);
  });

  it("rejects unreasonable and oversized requests", async () => {
    const tooMany = await collect(
      address,
      TOKEN,
      request({ sizes: Array.from({ length: 65 }, (_, i) => 64 + i) }),
    );
    expect(tooMany.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    const badSize = await collect(address, TOKEN, request({ sizes: [10] }));
    expect(badSize.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    const huge = await collect(address, TOKEN, request({ label: "x".repeat(100_000) }));
    expect(huge.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  it("serves the standard health service", async () => {
    const def = protoLoader.loadSync(healthProtoPath, { enums: String });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
    };
    const client = new pkg.grpc.health.v1.Health(
      address,
      grpc.credentials.createInsecure(),
    ) as unknown as grpc.Client & {
      check(
        req: { service: string },
        cb: (err: grpc.ServiceError | null, res: { status: string }) => void,
      ): void;
    };
    const res = await new Promise<{ status: string }>((resolve, reject) =>
      client.check({ service: "autotrex.v1.Benchmark" }, (err, r) =>
        err ? reject(err) : resolve(r),
      ),
    );
    client.close();
    expect(res.status).toBe("SERVING");
  });
});

describe("agent security helpers", () => {
  it("compares bearer tokens exactly", () => {
    expect(bearerTokenMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerTokenMatches(`Bearer ${TOKEN}x`, TOKEN)).toBe(false);
    expect(bearerTokenMatches(TOKEN, TOKEN)).toBe(false);
    expect(bearerTokenMatches(undefined, TOKEN)).toBe(false);
  });

  it("refuses a symlink that leaves the profiles directory", () => {
    const dir = tempDir("autotrex-profiles-");
    const outside = tempDir("autotrex-outside-");
    writeFileSync(join(outside, "evil.ts"), "export default {}");
    symlinkSync(join(outside, "evil.ts"), join(dir, "evil.ts"));
    mkdirSync(join(dir, "sub"));
    expect(() => resolveProfileName(dir, "evil")).toThrow(/outside the profiles directory/);
    expect(resolveProfileName(PROFILES, "tcp_1pkt")).toBe(join(PROFILES, "tcp_1pkt.ts"));
  });

  it("refuses a non-loopback address without TLS", async () => {
    const agent = new Agent({
      listen: "0.0.0.0:0",
      token: TOKEN,
      profilesDir: PROFILES,
      resultsDir: tempDir(),
      target: { emulate: { dut: "default", timeScale: 0, seed: 1 } },
    });
    await expect(agent.start()).rejects.toThrow(/without TLS/);
  });
});
