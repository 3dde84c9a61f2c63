/**
 * autotrex against the real TRex v3.08 server on the veth testbed (docs/real-trex.md).
 * Runs when TREX_HOME names an unpacked TRex directory and `scripts/testbed.sh up` was run;
 * otherwise it says so in one line. One server: the tests run one after another.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ThresholdOutcome } from "../../src/report/result.ts";
import { Ether, IP, packet, TCP } from "../../src/index.ts";
import { GENERATOR_SHORTFALL_TOLERANCE } from "../../src/search/generator-limit.ts";
import {
  autotrex,
  lossLimitPct,
  portsNow,
  readResult,
  ROOT,
  readTrials,
  secondClient,
  serverPortOpen,
  SERVER,
  sleep,
  startAutotrex,
  tempDir,
  testbed,
  TREX_CFG,
  TREX_HOME,
  trexProcessRunning,
} from "./helpers.ts";

if (!TREX_HOME) {
  console.log(
    "real-trex: not run (set TREX_HOME to an unpacked TRex directory after `sudo scripts/testbed.sh up`)",
  );
}

const PROFILE = "profiles/tcp_1pkt.ts";
/** The profiles the package ships, by name (`autotrex run NAME`). */
const SHIPPED_PROFILES = readdirSync(join(ROOT, "profiles"))
  .filter((f) => f.endsWith(".ts"))
  .map((f) => f.replace(/\.ts$/, ""))
  .sort();
const MINUTE_MS = 60_000;

/** `run PROFILE --sizes S --duration D --out OUT` and further flags, as these tests run it. */
function runArgs(sizes: string, durationS: number, out: string, ...flags: string[]): string[] {
  return [
    "run",
    PROFILE,
    "--sizes",
    sizes,
    "--duration",
    String(durationS),
    "--out",
    out,
    ...flags,
  ];
}

/** The flags of a run on a TRex it starts itself from `dir` with `cfg` (`--trex-dir`). */
function ownTrex(cfg: string, dir = TREX_HOME): string[] {
  return ["--trex-dir", dir, "--cfg", cfg];
}

/** A copy of the testbed's TRex config, edited; fails when the edit changed nothing. */
function editedCfg(name: string, edit: (text: string) => string): string {
  const text = readFileSync(TREX_CFG, "utf8");
  const edited = edit(text);
  expect(edited, `${name}: the edit must change the config`).not.toBe(text);
  const path = join(tempDir(name), "trex_cfg.yaml");
  writeFileSync(path, edited);
  return path;
}

function expectOneLine(stderr: string): void {
  expect(stderr.trim().split("\n"), stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
}

/** Each result of a run: never above what the generator sent, and named when it capped it. */
function checkHonestResults(out: string): void {
  const result = readResult(out);
  const trials = readTrials(out);
  expect(result.sizes.length).toBeGreaterThan(0);
  for (const size of result.sizes) {
    const own = trials.filter((t) => Number(t.frame_size) === size.frameSize);
    const where = `${size.frameSize} B`;
    expect(size.status, where).toBe("ok");
    expect(size.results.length, where).toBeGreaterThan(0);
    for (const r of size.results) checkOneResult(r, lossLimitPct(result, r), own, where);
  }
}

function checkOneResult(
  r: ThresholdOutcome,
  limitPct: number,
  trials: Array<Record<string, string>>,
  where: string,
): void {
  const at = `${where} @ loss ≤ ${limitPct} %`;
  expect(r.offeredPps, at).toBeDefined();
  expect(r.ratePps, at).toBeLessThanOrEqual(r.offeredPps! * (1 + 1e-9));
  const deciding = trials.filter((t) => r.trials?.includes(Number(t.trial)));
  expect(deciding.length, `${at}: its trials in trials.csv`).toBeGreaterThan(0);
  const achieved = Math.max(...deciding.map((t) => Number(t.offered_pps)));
  expect(r.ratePps, `${at}: above the rate its trials achieved`).toBeLessThanOrEqual(
    achieved * (1 + 1e-9),
  );
  expect(r.lineRateLimited, `${at}: a software generator never reaches 10 Gb/s`).toBe(false);
  // Not generator-limited: a trial above it where the generator kept up must have lost packets.
  const refusedByDut = trials.some(
    (t) =>
      Number(t.rate_pps) > r.ratePps &&
      Number(t.offered_pps) >= Number(t.rate_pps) * (1 - GENERATOR_SHORTFALL_TOLERANCE) &&
      Number(t.loss_ratio) * 100 > limitPct,
  );
  if (!refusedByDut) expect(r.generatorLimited, `${at}: generator-limited`).toBe(true);
}

describe.skipIf(!TREX_HOME).sequential("real TRex v3.08 on the veth testbed", () => {
  beforeAll(async () => {
    if (!existsSync(TREX_CFG)) {
      throw new Error(
        `${TREX_CFG} not found: run 'sudo scripts/testbed.sh up' first (or set TREX_CFG)`,
      );
    }
    testbed(["status"]); // throws with what is missing
    if (await serverPortOpen()) {
      throw new Error(
        `something already answers on ${SERVER}: stop it ('scripts/testbed.sh trex-stop')`,
      );
    }
  });

  describe.sequential("--trex-dir: the run starts and stops the real binary", () => {
    it("refuses a directory without a TRex binary in one line (exit 3)", async () => {
      const r = await autotrex(
        runArgs("1518", 1, tempDir("nobin"), "--quiet", ...ownTrex(TREX_CFG, tempDir("empty"))),
      );
      expect(r.code).toBe(3);
      expectOneLine(r.stderr);
      expect(r.stderr).toMatch(/no t-rex-64 or _t-rex-64 in /);
    });

    it(
      "reports a server that exits at start with the last lines of its log (exit 3)",
      async () => {
        const bad = editedCfg("badcfg", (t) => t.replace("iface=atx-p1", "iface=atx-nonesuch"));
        const r = await autotrex(runArgs("1518", 1, tempDir("early"), "--quiet", ...ownTrex(bad)));
        expect(r.code).toBe(3);
        expectOneLine(r.stderr);
        expect(r.stderr).toMatch(
          /TRex exited \(1\) before answering.*Could not find all interfaces/,
        );
        expect(await serverPortOpen()).toBe(false);
      },
      MINUTE_MS,
    );

    it(
      "refuses a port whose gateway TRex could not resolve, before any trial (exit 2)",
      async () => {
        // Port 0's gateway is an address nobody on the testbed answers ARP for.
        const cfg = editedCfg("unresolved", (t) =>
          t.replace("default_gw: 10.10.0.1\n", "default_gw: 10.10.0.99\n"),
        );
        const out = tempDir("unresolved-run");
        const r = await autotrex(runArgs("1518", 1, out, "--quiet", ...ownTrex(cfg)));
        expect(r.code, r.stderr).toBe(2);
        expectOneLine(r.stderr);
        expect(r.stderr).toMatch(/^autotrex: port 0 on \S+ has no destination MAC: TRex could not/);
        expect(existsSync(join(out, "trials.csv")), "no trial ran").toBe(false);
        expect(await serverPortOpen()).toBe(false);
      },
      2 * MINUTE_MS,
    );

    it(
      "names the loss of TRex's own receive ring (bare interface names: the default ring)",
      async () => {
        // A bare interface name gets TRex's default af_packet ring (256 frames), which drops
        // above ~150 kpps: the first trial, at line rate, offers more than that.
        const cfg = editedCfg("small-ring", (t) =>
          t.replace(/"--vdev=net_af_packet(\d),iface=(atx-p\d),[^"]*"/g, "$2"),
        );
        expect(readFileSync(cfg, "utf8")).toContain("- atx-p1\n");
        const out = tempDir("small-ring-run");
        const r = await autotrex(runArgs("64", 1, out, "--size-time-limit", "6", ...ownTrex(cfg)));
        expect([0, 1], r.stderr).toContain(r.code);
        const warnings = r.stdout.split("\n").filter((l) => l.includes("rx_missed_errors"));
        expect(warnings, r.stdout).toHaveLength(1);
        expect(warnings[0]).toMatch(
          /^warning: 64 B: TRex's receiving port dropped \d+ packets itself \(rx_missed_errors\)/,
        );
        expect(await serverPortOpen()).toBe(false);
      },
      2 * MINUTE_MS,
    );

    it(
      "runs a size on a server it starts, and stops it at the end",
      async () => {
        const out = tempDir("trexdir");
        const r = await autotrex(runArgs("1518", 1, out, "--quiet", ...ownTrex(TREX_CFG)));
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        expect(readResult(out).server.version).toMatch(/^v3\.08/);
        expect(readFileSync(join(out, "trex.log"), "utf8")).toContain("TRex v3.08");
        expect(await serverPortOpen()).toBe(false);
        expect(trexProcessRunning()).toBe(false);
      },
      3 * MINUTE_MS,
    );

    it(
      "stops the server it started on Ctrl-C (exit 130)",
      async () => {
        const out = tempDir("trexdir-int");
        const run = startAutotrex(runArgs("64", 10, out, ...ownTrex(TREX_CFG)));
        for (let i = 0; i < 120 && !(await serverPortOpen()); i++) await sleep(250);
        await sleep(4000); // into the first trial
        run.kill("SIGINT");
        const r = await run.exit;
        expect(r.code, r.stderr).toBe(130);
        expect(await serverPortOpen()).toBe(false);
        expect(trexProcessRunning()).toBe(false);
      },
      2 * MINUTE_MS,
    );
  });

  describe.sequential("a server already running", () => {
    beforeAll(() => {
      testbed(["trex-start", TREX_HOME, "--cfg", TREX_CFG]);
    }, MINUTE_MS);
    afterAll(() => {
      testbed(["trex-stop"]);
    }, MINUTE_MS);

    it("answers the handshake with its version and reads both ports at 10 Gb/s, link up", async () => {
      const client = await secondClient("atx-handshake");
      try {
        expect(client.serverVersion).toMatch(/^v3\.08/);
        expect(await client.ping()).toBeGreaterThan(0);
        const ports = [...client.ports].sort((a, b) => a.portId - b.portId).slice(0, 2);
        expect(ports.map((p) => p.speedBps)).toEqual([10e9, 10e9]);
        expect(ports.map((p) => p.linkUp)).toEqual([true, true]);
        expect(ports.map((p) => p.owner)).toEqual(["", ""]);
      } finally {
        await client.disconnect();
      }
    });

    it("takes a pushed stream (port state STREAMS) and drops it again", async () => {
      const client = await secondClient("atx-streams");
      try {
        await client.acquire([0]);
        await client.reset([0]);
        const frame = packet(Ether(), IP({ src: "16.0.0.1", dst: "48.0.0.1" }), TCP());
        await client.addStreams(0, [
          { packet: frame.bytes(), mode: { type: "continuous" }, rateShare: 1 },
        ]);
        expect((await client.portStates([0])).get(0)).toBe("STREAMS");
        await client.removeAllStreams(0);
        expect((await client.portStates([0])).get(0)).toBe("IDLE");
      } finally {
        await client.disconnect();
      }
      expect((await portsNow()).find((p) => p.portId === 0)!.owner).toBe("");
    });

    it(
      "names the owner of a taken port (exit 3) and takes it with --force",
      async () => {
        const other = await secondClient("atx-other");
        try {
          await other.acquire([0, 1]);
          const refused = await autotrex(runArgs("1518", 1, tempDir("owned"), "--quiet"));
          expect(refused.code).toBe(3);
          expectOneLine(refused.stderr);
          expect(refused.stderr).toContain("atx-other");

          const out = tempDir("force");
          const forced = await autotrex(runArgs("1518", 1, out, "--quiet", "--force"));
          expect(forced.stderr).toBe("");
          expect(forced.code).toBe(0);
          expect(readResult(out).sizes[0].results.length).toBeGreaterThan(0);
        } finally {
          await other.disconnect().catch(() => undefined); // its ports were taken
        }
        expect((await portsNow()).slice(0, 2).map((p) => p.owner)).toEqual(["", ""]);
      },
      3 * MINUTE_MS,
    );

    // Every shipped profile: TRex takes its streams (field engine included) and the kernel DUT
    // forwards its packets (IPv4 with fixed checksums, IPv6, SRv6 in transit), so each size is
    // measured, ok, and honest. 256 B fits every profile's headers.
    for (const name of SHIPPED_PROFILES) {
      it(
        `runs the shipped profile ${name} (256 B): forwarded, measured, honest`,
        async () => {
          const out = tempDir(`profile-${name}`);
          const r = await autotrex([
            "run", name, "--sizes", "256", "--duration", "1", "--size-time-limit", "20",
            "--quiet", "--out", out,
          ]); // prettier-ignore
          expect(r.stderr).toBe("");
          expect(r.code).toBe(0);
          checkHonestResults(out);
          const [ndr] = readResult(out).sizes[0].results;
          expect(ndr.ratePps, "forwarded at a real rate").toBeGreaterThan(10_000);
        },
        2 * MINUTE_MS,
      );
    }

    let sweepOut = "";
    it(
      "sweeps 64/512/1518 B: no result above what the generator sent, generator limit named",
      async () => {
        sweepOut = tempDir("sweep");
        const r = await autotrex(runArgs("64,512,1518", 2, sweepOut, "--size-time-limit", "40"));
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        checkHonestResults(sweepOut);
        const result = readResult(sweepOut);
        // 14.88 Mpps at 64 B is far beyond a software generator: its trials must show it.
        const at64 = readTrials(sweepOut).filter((t) => t.frame_size === "64");
        expect(at64.some((t) => t.invalid_reason.startsWith("generator-limited"))).toBe(true);
        for (const size of result.sizes) {
          if (size.results.some((x) => x.generatorLimited)) {
            expect(r.stdout).toMatch(new RegExp(`${size.frameSize} B:.*generator-limited`));
          }
        }
        console.log(`real-trex sweep 64/512/1518 B took ${r.wallS.toFixed(0)} s:\n${r.stdout}`);
      },
      8 * MINUTE_MS,
    );

    // 512 B, and 64 B, where a TCP frame leaves TRex fewer than the 16 payload bytes its
    // latency packets need ("Need at least 16 payload bytes for payload rules").
    for (const frameSize of [512, 64]) {
      it(
        `measures latency at a result's rate (--latency, ${frameSize} B)`,
        async () => {
          const out = tempDir(`latency-${frameSize}`);
          const r = await autotrex(
            runArgs(String(frameSize), 2, out, "--size-time-limit", "40", "--latency", "--quiet"),
          );
          expect(r.stderr).toBe("");
          expect(r.code).toBe(0);
          checkHonestResults(out);
          for (const res of readResult(out).sizes[0].results) {
            const lat = res.latencyUs;
            expect(lat, `latency of the result at ${res.ratePps} pps`).toBeDefined();
            expect(lat!.min).toBeGreaterThan(0);
            expect(lat!.min).toBeLessThanOrEqual(lat!.avg);
            // TRex leaves its first 10 latency packets out of the maximum (not of the mean):
            // a maximum is at least the minimum, or absent when TRex counted none.
            if (lat!.max !== undefined) expect(lat!.max).toBeGreaterThanOrEqual(lat!.min);
          }
        },
        4 * MINUTE_MS,
      );
    }

    it(
      "runs both directions at once (--bidirectional): per-direction rates within what was sent",
      async () => {
        const out = tempDir("bidir");
        const r = await autotrex(
          runArgs("512", 2, out, "--size-time-limit", "40", "--bidirectional", "--quiet"),
        );
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        checkHonestResults(out);
        // Both ports sent: each trial's tx counts two directions at rate_pps.
        const t = readTrials(out).find((x) => x.invalid_reason === "")!;
        const perDirection = Number(t.rate_pps) * Number(t.duration_s);
        expect(Number(t.tx_packets)).toBeGreaterThan(1.9 * perDirection);
      },
      4 * MINUTE_MS,
    );

    it(
      "runs through the agent (serve --server, run --agent): the same honest results",
      async () => {
        const tokenFile = join(tempDir("agent-token"), "token");
        writeFileSync(tokenFile, "real-trex-agent-token-0123456789\n", { mode: 0o600 });
        const agent = startAutotrex([
          "serve", "--listen", "127.0.0.1:0", "--token-file", tokenFile,
          "--profiles-dir", "profiles", "--results", tempDir("agent-results"), "--server", SERVER,
        ]); // prettier-ignore
        try {
          let address = "";
          for (let i = 0; i < 100 && !address; i++) {
            await sleep(100);
            address = /agent listening on (\S+)/.exec(agent.stdout())?.[1] ?? "";
          }
          expect(address, "the agent said where it listens").not.toBe("");
          const out = tempDir("agent-run");
          const r = await autotrex([
            "run", "--agent", address, "--token-file", tokenFile, "tcp_1pkt",
            "--sizes", "512", "--duration", "2", "--size-time-limit", "40", "--quiet", "--out", out,
          ]); // prettier-ignore
          expect(r.stderr).toBe("");
          expect(r.code).toBe(0);
          checkHonestResults(out);
          expect(readResult(out).server).toMatchObject({ kind: "trex" });
          expect(readResult(out).server.version).toMatch(/^v3\.08/);
        } finally {
          agent.kill("SIGTERM");
          await agent.exit;
        }
        const ports = await portsNow();
        expect(ports.map((p) => p.owner)).toEqual(["", ""]);
      },
      4 * MINUTE_MS,
    );

    it(
      "leaves the ports released and idle on Ctrl-C mid-trial (exit 130)",
      async () => {
        const out = tempDir("sigint");
        const run = startAutotrex(runArgs("64", 10, out));
        let state = "";
        for (let i = 0; i < 120 && state !== "TX"; i++) {
          await sleep(250);
          state = (await portsNow()).find((p) => p.portId === 0)!.state;
        }
        expect(state, "the run never started transmitting").toBe("TX");
        run.kill("SIGINT");
        const r = await run.exit;
        expect(r.code, r.stderr).toBe(130);
        expect(r.wallS).toBeLessThan(60);
        const ports = (await portsNow()).slice(0, 2);
        expect(ports.map((p) => p.owner)).toEqual(["", ""]);
        for (const p of ports) expect(p.state, `port ${p.portId}`).not.toBe("TX");
        expect(readResult(out).status).toBe("interrupted");
      },
      2 * MINUTE_MS,
    );
  });
});
