/**
 * Faults and bad input through the real CLI (child processes, real files, real tmpfs mounts):
 * every failure is one line with its documented exit status, a run stops cleanly, and
 * Ctrl-C/SIGTERM ends it within a second whatever it is doing.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Router } from "zeromq";
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.ts";
import { TrexClient } from "../../src/trex/index.ts";
import type { RunResult } from "../../src/report/result.ts";
import { makeResult } from "../report/helpers.ts";
import { autotrex, canMountTmpfs, expectOneLine, mountTmpfs, ROOT, tempDir } from "./helpers.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tmpfs(sizeKiB: number, readOnly = false): string {
  const mount = mountTmpfs(sizeKiB, readOnly);
  if (!mount) throw new Error("tmpfs: mount failed");
  cleanups.push(() => mount.unmount());
  return mount.dir;
}

async function emulator(): Promise<RunningEmulator> {
  const e = await startEmulator({ rpcPort: 0, asyncPort: 0, timeScale: 0 });
  cleanups.push(() => e.stop());
  return e;
}

function writeRun(dir: string, name: string, result: RunResult): string {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, "result.json"), JSON.stringify(result));
  return join(dir, name);
}

const QUICK = ["--sizes", "64", "--duration", "1", "--quiet"];

/** YAML whose aliases expand to 10^8 nodes ("billion laughs"): a parser must refuse it. */
function aliasBombYaml(): string {
  const lines = ["- &a [x, x, x, x, x, x, x, x, x, x]"];
  for (const c of "bcdefgh") {
    const previous = String.fromCharCode(c.charCodeAt(0) - 1);
    lines.push(`- &${c} [${Array(10).fill(`*${previous}`).join(", ")}]`);
  }
  return lines.join("\n");
}

describe("the output directory", () => {
  it("one that cannot be created is refused before any server is opened: exit 4, one line", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "file"), "");
    // 127.0.0.1:9 answers nothing: had it been contacted, the run would end with exit 3.
    const r = await autotrex([
      ...["run", "profiles/tcp_1pkt.ts", "--server", "127.0.0.1:9", ...QUICK],
      ...["--out", join(dir, "file", "run")],
    ]);
    expect(r.code).toBe(4);
    expect(expectOneLine(r.stderr)).toEqual([
      `autotrex: --out: cannot write ${join(dir, "file", "run")}: ENOTDIR (not a directory)`,
    ]);
  });

  it.runIf(canMountTmpfs)(
    "a read-only file system is refused up front, created or not",
    async () => {
      const ro = tmpfs(64, true);
      for (const out of [ro, join(ro, "results", "run")]) {
        const r = await autotrex([
          "run",
          "profiles/tcp_1pkt.ts",
          "--server",
          "127.0.0.1:9",
          ...QUICK,
          "--out",
          out,
        ]);
        expect(r.code).toBe(4);
        expect(expectOneLine(r.stderr)).toEqual([
          `autotrex: --out: cannot write ${out}: EROFS (read-only file system)`,
        ]);
      }
    },
  );

  it.runIf(canMountTmpfs)(
    "a disk that fills up mid-run stops it: one line with file and errno, exit 4, ports released, result.json final",
    async () => {
      const server = await emulator();
      const out = join(tmpfs(64), "run");
      const r = await autotrex([
        ...["run", "profiles/tcp_1pkt.ts", "--server", server.rpcUrl, "--sizes", "64,128,256"],
        ...["--quiet", "--out", out],
      ]);
      expect(r.code).toBe(4);
      const lines = expectOneLine(r.stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(`^autotrex: cannot write ${out}/[\\w.]+: ENOSPC \\(no space left on device\\)$`),
      );
      const result = JSON.parse(readFileSync(join(out, "result.json"), "utf8")) as RunResult;
      expect(result.status).toBe("failed");
      expect(result.finishedAt).not.toBeNull();
      for (const port of [0, 1]) {
        expect(server.portState(port).owner).toBe("");
        expect(server.portState(port).state).not.toBe("TX");
      }
    },
  );

  it.runIf(canMountTmpfs)(
    "compare --junit and trend --out on a full disk: one line, exit 4",
    async () => {
      const dir = tempDir();
      const base = writeRun(dir, "base", makeResult({ sizes: { 64: [9e6, 9.5e6] } }));
      const current = writeRun(
        dir,
        "current",
        makeResult({ sizes: { 64: [9e6, 9.5e6] }, startedAt: "2025-11-21T02:00:00.000Z" }),
      );
      const full = tmpfs(16);
      writeFileSync(join(full, "filler"), Buffer.alloc(12 * 1024));
      // A chart is tens of KiB: it cannot fit in what is left.
      const junit = await autotrex([
        "compare",
        current,
        "--baseline",
        base,
        "--junit",
        join(full, "j.xml"),
        "--markdown",
        join(full, "big.md"),
      ]);
      const trend = await autotrex(["trend", base, current, "--out", join(full, "trend.png")]);
      for (const r of [junit, trend]) {
        expect(r.code).toBe(4);
        expect(expectOneLine(r.stderr)[0]).toMatch(
          /^autotrex: cannot write .*: ENOSPC \(no space left on device\)$/,
        );
      }
    },
  );
});

describe("a profile that never finishes", () => {
  const stuck = (where: "import" | "streams"): string => {
    const file = join(tempDir(), `stuck_${where}.ts`);
    const loop = `process.stderr.write("profile looping\\n"); for (;;) {}`;
    writeFileSync(
      file,
      where === "import"
        ? `${loop}\nexport default {};\n`
        : `import { defineProfile } from "autotrex";\nexport default defineProfile({ description: "x", streams: () => { ${loop} } });\n`,
    );
    return file;
  };

  for (const [where, signal] of [
    ["import", "SIGINT"],
    ["streams", "SIGTERM"],
  ] as const) {
    it(`stuck in ${where === "import" ? "its import" : "streams()"}: ${signal} ends the run within a second, exit 130, nothing left behind`, async () => {
      const out = join(tempDir(), "run");
      let signalledAt = 0;
      const r = await autotrex(
        ["run", stuck(where), "--emulate", ...QUICK, "--out", out],
        (child) => {
          void child.stderrMatches(/profile looping/).then(() => {
            signalledAt = Date.now();
            child.kill(signal);
          });
        },
      );
      expect(r.code).toBe(130);
      expect(r.exitedAt - signalledAt).toBeLessThan(1000);
      expect(existsSync(out)).toBe(false);
    });
  }

  it("the time limit ends it with one line naming the file: exit 2", async () => {
    const file = stuck("streams");
    const r = await autotrex([
      "run",
      file,
      "--emulate",
      ...QUICK,
      "--profile-timeout",
      "2",
      "--out",
      join(tempDir(), "run"),
    ]);
    expect(r.code).toBe(2);
    expect(expectOneLine(r.stderr)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^autotrex: ${file}: the profile did not load within 2 s \\(stuck .*--profile-timeout S changes the limit\\)$`,
        ),
      ),
    ]);
    const bad = await autotrex(["run", file, "--emulate", "--profile-timeout", "0"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--profile-timeout "0": expected seconds/);
  });
});

describe("Ctrl-C and failures before the first trial", () => {
  it("Ctrl-C while the server does not answer the connection: exit 130 within a second, no run directory", async () => {
    // A ZMQ peer that takes the request and never replies.
    const silent = new Router();
    await silent.bind("tcp://127.0.0.1:0");
    cleanups.push(() => silent.close());
    const out = join(tempDir(), "results", "run");
    let signalledAt = 0;
    const r = await autotrex(
      ["run", "profiles/tcp_1pkt.ts", "--server", silent.lastEndpoint!, ...QUICK, "--out", out],
      (child) => {
        void silent.receive().then(
          () => {
            signalledAt = Date.now();
            child.kill("SIGINT");
          },
          () => undefined,
        ); // closed at cleanup
      },
    );
    expect(r.code).toBe(130);
    expect(r.exitedAt - signalledAt).toBeLessThan(1000);
    expect(r.stderr).not.toMatch(/no TRex server answering/);
    expect(existsSync(join(out, ".."))).toBe(false);
  });

  it("Ctrl-C during the first trial: exit 130 within a second, ports released, no run directory", async () => {
    // time scale 0.5: the first (1 s) trial lasts half a second
    const server = await startEmulator({ rpcPort: 0, asyncPort: 0, timeScale: 0.5 });
    cleanups.push(() => server.stop());
    const out = join(tempDir(), "run");
    let signalledAt = 0;
    const r = await autotrex(
      ["run", "profiles/tcp_1pkt.ts", "--server", server.rpcUrl, ...QUICK, "--out", out],
      (child) => {
        const poll = setInterval(() => {
          if (server.portState(0).state !== "TX") return;
          clearInterval(poll);
          signalledAt = Date.now();
          child.kill("SIGINT");
        }, 5);
        cleanups.push(() => clearInterval(poll));
      },
    );
    expect(r.code).toBe(130);
    expect(r.exitedAt - signalledAt).toBeLessThan(1000);
    expect(r.stderr).toMatch(/interrupted before any trial; removed /);
    expect(existsSync(out)).toBe(false);
    for (const port of [0, 1]) {
      expect(server.portState(port).owner).toBe("");
      expect(server.portState(port).state).not.toBe("TX");
    }
  });

  it("a port owned by someone else: one line naming the owner and --force, no run directory", async () => {
    const server = await startEmulator({
      rpcPort: 0,
      asyncPort: 0,
      timeScale: 0,
      faults: [{ kind: "foreign-owner", port: 0, owner: "alice" }],
    });
    cleanups.push(() => server.stop());
    const out = join(tempDir(), "run");
    const r = await autotrex([
      "run",
      "profiles/tcp_1pkt.ts",
      "--server",
      server.rpcUrl,
      ...QUICK,
      "--out",
      out,
    ]);
    expect(r.code).toBe(3);
    expect(expectOneLine(r.stderr)).toEqual([
      "autotrex: port 0 is owned by 'alice'; not taking it over (--force takes it and ends their test)",
    ]);
    expect(existsSync(out)).toBe(false);
    expect(server.portState(1).owner).toBe("");
  });

  it("trend skips a run that measured nothing and a directory without result.json, in one line each", async () => {
    const dir = tempDir();
    const good = writeRun(dir, "good", makeResult({ sizes: { 64: [9e6, 9.5e6] } }));
    const failed = writeRun(dir, "failed", { ...makeResult({ sizes: {} }), status: "failed" });
    mkdirSync(join(dir, "empty"));
    const r = await autotrex([
      "trend",
      good,
      failed,
      join(dir, "empty"),
      "--out",
      join(dir, "t.png"),
    ]);
    expect(r.code).toBe(0);
    expect(expectOneLine(r.stderr)).toEqual([
      `autotrex: trend: skipped ${failed}: the run measured nothing (status failed)`,
      `autotrex: trend: skipped ${join(dir, "empty")}: ${join(dir, "empty", "result.json")}: not found (is ${join(dir, "empty")} a run directory?)`,
    ]);
    expect(r.stdout).toMatch(/1 runs/);
  });
});

describe("a port taken over mid-run", () => {
  it("someone forcing the ports away stops the run with one line saying so: exit 3, result.json failed", async () => {
    // 30 s trials at time scale 0.02 take 0.6 s of real time each
    const server = await startEmulator({ rpcPort: 0, asyncPort: 0, timeScale: 0.02 });
    cleanups.push(() => server.stop());
    const out = join(tempDir(), "run");
    let taken: Promise<TrexClient> | undefined;
    const poll = setInterval(() => {
      // Once a trial is on disk, during the next one.
      if (!taken && existsSync(join(out, "trials.csv")) && server.portState(0).state === "TX") {
        taken = TrexClient.connect({ server: server.rpcUrl, user: "bob" }).then(async (bob) => {
          await bob.acquire([0, 1], { force: true });
          return bob;
        });
      }
    }, 10);
    cleanups.push(() => clearInterval(poll));
    const r = await autotrex([
      "run",
      "profiles/tcp_1pkt.ts",
      "--server",
      server.rpcUrl,
      "--sizes",
      "64",
      "--quiet",
      "--out",
      out,
    ]);
    const bob = await taken!;
    cleanups.push(() => bob.disconnect());
    expect(r.code).toBe(3);
    expect(expectOneLine(r.stderr)).toEqual([
      expect.stringMatching(
        /on port [01] failed \(-32000\): port is not owned by you .*\(someone took the port, e\.g\. with --force\)$/,
      ),
    ]);
    expect(server.portState(0).owner).toBe("bob");
    // Trials that finished before the takeover are kept, under a final status.
    expect(existsSync(join(out, "trials.csv"))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, "result.json"), "utf8")).status).toBe("failed");
  });
});

describe("bad input is one line with its exit status", () => {
  it("a reader that goes away (| head) ends simulate quietly: exit 0, no stack trace", async () => {
    const child = spawn(
      process.execPath,
      [join(ROOT, "bin/autotrex.js"), "simulate", "profiles/tcp_1pkt_rand.ts", "--count", "20000"],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.stdout.once("data", () => child.stdout.destroy());
    const code = await new Promise((done) => child.on("exit", done));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });

  it("emulate on a busy port names it and the flag; --faults with an alias bomb names the file", async () => {
    const busy = await emulator();
    const port = /:(\d+)$/.exec(busy.rpcUrl)![1];
    const r = await autotrex(["emulate", "--port", port, "--async-port", "0"]);
    expect(r.code).toBe(3);
    expect(expectOneLine(r.stderr)).toEqual([
      expect.stringMatching(new RegExp(`^autotrex: cannot bind .*:${port}: .*in use.*--port`)),
    ]);
    const dir = tempDir();
    writeFileSync(join(dir, "faults.yaml"), aliasBombYaml());
    const faults = await autotrex([
      "emulate",
      "--port",
      "0",
      "--async-port",
      "0",
      "--faults",
      join(dir, "faults.yaml"),
    ]);
    expect(faults.code).toBe(2);
    expect(expectOneLine(faults.stderr)).toEqual([
      expect.stringContaining(`${join(dir, "faults.yaml")}`),
    ]);
  });

  it("--dut that is neither a preset nor a file, or a broken one: exit 2, nothing created", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "broken.json"), '{"perPacketNs": 1');
    for (const [dut, message] of [
      ["nosuch", /^autotrex: --dut nosuch: neither a preset \(.*\) nor a file$/],
      [join(dir, "broken.json"), new RegExp(`^autotrex: ${dir}/broken.json:1:\\d+: `)],
    ] as const) {
      const out = join(dir, "run");
      const r = await autotrex([
        "run",
        "profiles/tcp_1pkt.ts",
        "--emulate",
        "--dut",
        dut,
        "--out",
        out,
      ]);
      expect(r.code).toBe(2);
      expect(expectOneLine(r.stderr)).toEqual([expect.stringMatching(message)]);
      expect(existsSync(out)).toBe(false);
    }
  });

  it("a result.json with a NUL and an escape sequence: the bytes are shown escaped", async () => {
    const dir = tempDir();
    const file = join(dir, "result.json");
    writeFileSync(file, '{"a": \x00\x1b[31m}');
    const r = await autotrex(["compare", file, "--baseline", file]);
    expect(r.code).toBe(2);
    // eslint-disable-next-line no-control-regex
    expect(r.stderr).not.toMatch(/[\x00\x1b]/);
    expect(expectOneLine(r.stderr)[0]).toContain("\\x00\\x1b[31m");
  });

  it("check-config: an alias bomb and a huge file are refused in one line each", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "bomb.yaml"), aliasBombYaml());
    writeFileSync(join(dir, "huge.yaml"), Buffer.alloc(2 * 1024 * 1024, "#"));
    const r1 = await autotrex(["check-config", join(dir, "bomb.yaml")]);
    expect(r1.code).toBe(2);
    expect(r1.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/bomb\.yaml:\?: YAML: Excessive alias count/),
    ]);
    const r2 = await autotrex(["check-config", join(dir, "huge.yaml")]);
    expect(r2.code).toBe(2);
    expect(expectOneLine(r2.stderr)).toEqual([
      `autotrex: ${join(dir, "huge.yaml")}: larger than 1024 KiB; a TRex configuration is a few KiB`,
    ]);
  });
});
