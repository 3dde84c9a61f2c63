/** `autotrex emulate` as a process: prints its address, serves, stops cleanly on SIGTERM. */
import { spawn } from "node:child_process";
import { once } from "node:events";
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
});
