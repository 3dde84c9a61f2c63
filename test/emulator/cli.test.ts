/** `autotrex emulate` as a process: prints its address, serves, stops cleanly on SIGTERM. */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { openSession } from "./helpers.ts";

const BIN = fileURLToPath(new URL("../../bin/autotrex.js", import.meta.url));

function run(args: string[]) {
  const child = spawn(process.execPath, [BIN, "emulate", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  return { child, out: () => out, err: () => err };
}

describe("autotrex emulate", () => {
  it("prints where it listens, serves the protocol and exits 0 on SIGTERM", async () => {
    const p = run(["--port", "0", "--async-port", "0", "--time-scale", "0", "--dut", "ideal"]);
    let url = "";
    for (let i = 0; i < 200 && !url; i++) {
      url = /^listening on (tcp:\/\/127\.0\.0\.1:\d+)$/m.exec(p.out())?.[1] ?? "";
      if (!url) await new Promise((r) => setTimeout(r, 50));
    }
    expect(url, p.err()).not.toBe("");
    const s = await openSession(url);
    const status = await s.ok<{ attr: { speed: number } }>("get_port_status", { port_id: 0 });
    expect(status.attr.speed).toBe(10);
    s.peer.close();
    const exited = once(p.child, "exit");
    p.child.kill("SIGTERM");
    const [code] = await exited;
    expect(code).toBe(0);
  }, 30_000);

  it("refuses bad flags with exit status 2", async () => {
    for (const args of [
      ["--ports", "3"],
      ["--time-scale", "-1"],
      ["--dut", "no-such-dut"],
      ["--port", "70000"],
    ]) {
      const p = run(args);
      const [code] = await once(p.child, "exit");
      expect(code, args.join(" ")).toBe(2);
      expect(p.err()).toMatch(/^autotrex: /);
    }
  }, 30_000);

  it("refuses bad DUT and fault files with one line naming file, line and column, exit 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "emulate-cli-"));
    const write = (name: string, text: string): string => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const half = write("half.yaml", "speedGbps: 10\nbufferPackets: 1.5\n");
    const broken = write("broken.json", '{"speedGbps": 10,\n "jitter": 0');
    const slow = write("slow.yaml", "speedGbps: 0.000001\n");
    const faults = write("faults.yaml", "- kind: try-again\n  method: ping\n  every: 2\n");
    const cases: Array<[string[], string]> = [
      [
        ["--dut", half],
        `${half}:2:16: bufferPackets must be an integer from 0 to 1000000000, got 1.5`,
      ],
      [["--dut", broken], `${broken}:2:13: Flow map must end with a }`],
      [["--dut", slow], `${slow}:1:12: speedGbps must be a number from 0.01 to 1000, got 0.000001`],
      [
        ["--dut", "nosuch"],
        "--dut nosuch: neither a preset (ideal, default, noisy, software, veth) nor a file",
      ],
      [["--faults", faults], `${faults}:3:3: fault 1: unknown key 'every' for 'try-again'`],
    ];
    for (const [args, line] of cases) {
      const p = run(["--port", "0", "--async-port", "0", ...args]);
      const [code] = await once(p.child, "exit");
      expect(code, args.join(" ")).toBe(2);
      expect(p.err()).toBe(`autotrex: ${line}\n`);
    }
  }, 30_000);

  it("names the address and port it cannot bind", async () => {
    const busy = createServer();
    await new Promise<void>((done) => busy.listen(0, "127.0.0.1", done));
    const port = (busy.address() as { port: number }).port;
    try {
      const p = run(["--port", String(port), "--async-port", "0"]);
      const [code] = await once(p.child, "exit");
      expect(code).toBe(3);
      // One line naming address and port (the CLI may add a hint after it).
      expect(p.err()).toMatch(
        new RegExp(
          `^autotrex: cannot bind the emulator's RPC port on 127\\.0\\.0\\.1:${port}: Address already in use[^\\n]*\\n$`,
        ),
      );
    } finally {
      busy.close();
    }
  }, 30_000);
});
