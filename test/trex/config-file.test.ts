import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { validateTrexConfig } from "../../src/trex/config-file.ts";

const sample = readFileSync(new URL("../../trex_cfg.yaml", import.meta.url), "utf8");

describe("trex_cfg.yaml validation", () => {
  it("accepts the shipped sample", () => {
    expect(validateTrexConfig(sample)).toEqual([]);
  });

  it("accepts PCI addresses and L2 port_info", () => {
    const cfg = `- version: 2
  interfaces: ["0000:03:00.0", "03:00.1"]
  port_info:
    - dest_mac: 00:11:22:33:44:55
      src_mac: 00:11:22:33:44:66
    - dest_mac: 00:11:22:33:44:66
`;
    expect(validateTrexConfig(cfg)).toEqual([]);
  });

  it("names the key path and line of every problem", () => {
    const cfg = `- version: 3
  port_limit: 4
  interfaces: ["dut-p0", "dut-p1", "bad/name"]
  port_info:
    - ip: 1.1.1.300
      default_gw: 2.2.2.2
    - dest_mac: 11:22:33
  platform:
    master_thread_id: 0
    latency_thread_id: 1
    dual_if:
      - socket: 0
        threads: [2, 1]
`;
    const problems = validateTrexConfig(cfg);
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p]));
    expect(byPath["[0].version"]).toMatchObject({
      line: 1,
      message: expect.stringMatching(/must be 2/),
    });
    expect(byPath["[0].interfaces"].message).toMatch(/pairs.*got 3/);
    expect(byPath["[0].interfaces[2]"]).toMatchObject({
      line: 3,
      message: expect.stringMatching(/bad\/name/),
    });
    expect(byPath["[0].port_limit"].message).toMatch(/port_limit 4 is more than the 3 interfaces/);
    expect(byPath["[0].port_info[0].ip"]).toMatchObject({
      line: 5,
      message: expect.stringMatching(/not an IPv4/),
    });
    expect(byPath["[0].port_info[1].dest_mac"]).toMatchObject({ line: 7 });
    expect(byPath["[0].platform.dual_if[0].threads[1]"]).toMatchObject({
      line: 13,
      message: expect.stringMatching(/CPU 1 is already used by latency_thread_id/),
    });
  });

  it("reports YAML syntax errors with their line", () => {
    const problems = validateTrexConfig("- version: 2\n  interfaces: [a, b\n");
    expect(problems[0].message).toMatch(/YAML syntax/);
    expect(problems[0].line).toBeGreaterThan(0);
  });

  it("requires a list at the top", () => {
    expect(validateTrexConfig("version: 2\n")[0].message).toMatch(/YAML list/);
  });
});
