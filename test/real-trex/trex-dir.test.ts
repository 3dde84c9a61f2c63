/**
 * `run --trex-dir` without a real TRex: stand-in `_t-rex-64` / `t-rex-64` scripts in a temp
 * directory (one that fails like TRex does, one that serves the emulator), so starting,
 * waiting for, and stopping the server are tested on every `npm test`.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { autotrex, readResult, ROOT, sleep, startAutotrex, tempDir } from "./helpers.ts";

const BIN = join(ROOT, "bin/autotrex.js");

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** A TRex directory whose binary `name` runs `body` (bash) and records its arguments. */
function fakeTrexDir(name: string, body: string): string {
  const dir = tempDir("fake-trex");
  const script = join(dir, name);
  writeFileSync(
    script,
    `#!/usr/bin/env bash\nprintf '%s\\n' "$PWD" "$*" > "${dir}/invoked"\n${body}\n`,
  );
  chmodSync(script, 0o755);
  return dir;
}

/** cwd and arguments the stand-in binary was started with. */
function invocation(dir: string): { cwd: string; args: string } {
  const [cwd, args] = readFileSync(join(dir, "invoked"), "utf8").split("\n");
  return { cwd, args };
}

function runArgs(dir: string, out: string, port: number): string[] {
  const cfg = join(ROOT, "trex_cfg.yaml");
  return [
    "run", "profiles/tcp_1pkt.ts", "--sizes", "64", "--duration", "1", "--quiet",
    "--server", `127.0.0.1:${port}`, "--out", out, "--trex-dir", dir, "--cfg", cfg,
  ]; // prettier-ignore
}

describe("run --trex-dir (stand-in TRex binaries)", () => {
  it("starts _t-rex-64 from its directory with the interactive flags, runs, and stops it", async () => {
    const port = await freePort();
    const asyncPort = await freePort();
    // The emulator stands in for the server; it records that it was stopped by SIGINT.
    const dir = fakeTrexDir(
      "_t-rex-64",
      `trap 'echo stopped > "${"$"}{0%/*}/stopped"; kill $child; exit 0' INT
echo "Starting  TRex v3.08 please wait  ... "
"${process.execPath}" "${BIN}" emulate --port ${port} --async-port ${asyncPort} --time-scale 0 --dut ideal &
child=$!
wait $child`,
    );
    const out = tempDir("trexdir-run");
    const r = await autotrex(runArgs(dir, out, port));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const { cwd, args } = invocation(dir);
    expect(cwd).toBe(dir); // the portable build's RUNPATH is relative to it
    expect(args).toBe(
      `-i --no-scapy-server --no-key --no-termio --iom 0 --cfg ${join(ROOT, "trex_cfg.yaml")}`,
    );
    expect(readResult(out).status).toBe("complete");
    expect(readFileSync(join(out, "trex.log"), "utf8")).toContain("Starting  TRex v3.08");
    expect(existsSync(join(dir, "stopped")), "stopped with SIGINT at the end").toBe(true);
  }, 60_000);

  it("prefers an installation's t-rex-64 script over _t-rex-64", async () => {
    const dir = fakeTrexDir("t-rex-64", "echo from-script; exit 7");
    writeFileSync(join(dir, "_t-rex-64"), "#!/bin/sh\nexit 9\n", { mode: 0o755 });
    const out = tempDir("trexdir-script");
    const r = await autotrex(runArgs(dir, out, await freePort()));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^autotrex: TRex exited \(7\) before answering .*from-script/);
  }, 30_000);

  it("says in one line that the server exited early, with the last lines of its log (exit 3)", async () => {
    const dir = fakeTrexDir(
      "_t-rex-64",
      'echo "Starting  TRex v3.08 please wait  ... "; echo "Could not find all interfaces (asked for: 2, found: 1)."; exit 1',
    );
    const out = tempDir("trexdir-early");
    const r = await autotrex(runArgs(dir, out, await freePort()));
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^autotrex: TRex exited \(1\) before answering on .* Could not find all interfaces \(asked for: 2, found: 1\)\. \(log: .*trex\.log\)$/m,
    );
  }, 30_000);

  it("stops a server that never answers when Ctrl-C comes while waiting for it (exit 130)", async () => {
    const dir = fakeTrexDir("_t-rex-64", `echo $$ > "${"$"}{0%/*}/pid"; exec sleep 120`);
    const run = startAutotrex(runArgs(dir, tempDir("trexdir-wait"), await freePort()));
    for (let i = 0; i < 100 && !existsSync(join(dir, "pid")); i++) await sleep(100);
    await sleep(500);
    run.kill("SIGINT");
    const r = await run.exit;
    expect(r.code, r.stderr).toBe(130);
    const pid = Number(readFileSync(join(dir, "pid"), "utf8"));
    expect(() => process.kill(pid, 0), "the stand-in server is gone").toThrow();
  }, 30_000);

  it("loads the profile before starting TRex: a bad profile never starts it (exit 2)", async () => {
    const dir = fakeTrexDir("_t-rex-64", "exec sleep 120");
    const bad = join(tempDir("bad-profile"), "bad.ts");
    writeFileSync(bad, "export default 42;\n");
    const args = runArgs(dir, tempDir("trexdir-bad"), await freePort());
    args[1] = bad;
    const r = await autotrex(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^autotrex: .*bad\.ts/);
    expect(existsSync(join(dir, "invoked")), "the TRex binary was never started").toBe(false);
  }, 30_000);

  it("names a directory without a TRex binary (exit 3)", async () => {
    const r = await autotrex(runArgs(tempDir("empty"), tempDir("out"), await freePort()));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /^autotrex: no t-rex-64 or _t-rex-64 in \S+ \(--trex-dir must be a TRex directory\)\n$/,
    );
  }, 30_000);
});
