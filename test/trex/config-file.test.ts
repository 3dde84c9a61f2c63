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

  it("accepts the configuration scripts/testbed.sh writes: --vdev interfaces, low_end, L3 port_info", () => {
    const ring = "blocksz=593920,framesz=9280,framecnt=4096";
    const cfg = `- version: 2
  interfaces:
    - "--vdev=net_af_packet0,iface=atx-gen0,${ring}"
    - "--vdev=net_af_packet1,iface=atx-gen1,${ring}"
  port_info:
    - ip: 10.10.0.2
      default_gw: 10.10.0.1
    - ip: 10.20.0.2
      default_gw: 10.20.0.1
  low_end: true
  low_end_core: 1
`;
    expect(validateTrexConfig(cfg)).toEqual([]);
  });

  it("accepts the TRex manual's example: MACs as byte lists, dummy ports, its keys", () => {
    const cfg = `- port_limit      : 2
  version         : 2
  interfaces      : ["03:00.0", "dummy", "dummy", "03:00.1"]
  port_bandwidth_gb : 10
  c               : 1
  prefix          : setup1
  limit_memory    : 1024
  zmq_pub_port    : 4510
  zmq_rpc_port    : 4511
  telnet_port     : 4512
  enable_zmq_pub  : true
  port_speed      : 10000
  port_info       :
      - dest_mac  : [0x0,0x0,0x0,0x1,0x0,0x0]
        src_mac   : [0x0,0x0,0x0,0x2,0x0,0x0]
      - dest_mac  : "00:00:00:03:00:00"
  platform :
      master_thread_id  : 0
      latency_thread_id : 5
      dual_if   :
        - socket   : 0
          threads  : [1,2,3,4]
`;
    expect(validateTrexConfig(cfg)).toEqual([]);
  });

  it("refuses malformed MACs, vdevs and scalar keys, naming each", () => {
    const cfg = `- version: 2
  interfaces: ["--vdev=net_af_packet0,iface", "dut-p1"]
  c: 0
  low_end: yes please
  zmq_rpc_port: 4501
  zmq_pub_port: 4501
  port_info:
    - dest_mac: [0x0, 0x0, 0x0, 0x1, 0x0, 0x100]
    - dest_mac: [0, 0, 0, 1, 0]
`;
    const byPath = Object.fromEntries(validateTrexConfig(cfg).map((p) => [p.path, p]));
    expect(byPath["[0].interfaces[0]"].message).toMatch(/--vdev=… device/);
    expect(byPath["[0].c"].message).toBe("c must be a positive integer, got 0");
    expect(byPath["[0].low_end"].message).toMatch(/true or false/);
    expect(byPath["[0].zmq_pub_port"].message).toMatch(/both 4501/);
    expect(byPath["[0].port_info[0].dest_mac"]).toMatchObject({
      line: 8,
      message: expect.stringMatching(/is not a MAC address/),
    });
    expect(byPath["[0].port_info[1].dest_mac"].line).toBe(9);
  });

  it("refuses a YAML alias bomb in one problem instead of expanding it", () => {
    const bomb = ["- &a [x, x, x, x, x, x, x, x, x, x]"];
    for (const name of ["b", "c", "d", "e", "f", "g"]) {
      const prev = String.fromCharCode(name.charCodeAt(0) - 1);
      bomb.push(`- &${name} [${Array(10).fill(`*${prev}`).join(", ")}]`);
    }
    const problems = validateTrexConfig(bomb.join("\n"));
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toMatch(/^YAML: Excessive alias count.*more than 100 aliases/);
  });
});
