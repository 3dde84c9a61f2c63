import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.ts";
import { LISTED_WITH_PCAP } from "../../src/cli/simulate.ts";
import { parsePcap } from "../../src/packet/index.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "autotrex-simulate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const golden = JSON.parse(
  readFileSync(join(root, "test/fixtures/scapy/profiles.json"), "utf8"),
).profiles;

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
  try {
    const code = await main(["node", "autotrex", "simulate", ...args]);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
afterEach(() => vi.restoreAllMocks());

describe("autotrex simulate (real binary)", () => {
  it("writes a pcap whose packets equal what Scapy builds from the original profile", async () => {
    const pcap = join(dir, "out.pcap");
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["bin/autotrex.js", "simulate", "profiles/tcp_1pkt.ts", "--size", "64", "--pcap", pcap],
      { cwd: root },
    );
    expect(stdout).toContain("Ether / IPv4 16.0.0.1 > 48.0.0.1 / TCP 1025 > 12 S / Raw 6");
    const { records, linktype } = parsePcap(readFileSync(pcap));
    expect(linktype).toBe(1);
    expect(records).toHaveLength(10);
    for (const r of records) {
      expect(r.data.toString("hex")).toBe(golden.tcp_1pkt["64"].head);
      expect(createHash("sha256").update(r.data).digest("hex")).toBe(golden.tcp_1pkt["64"].sha256);
    }
  });

  it("a broken profile outside the project: one line naming file:line, exit status 2", async () => {
    const file = join(dir, "broken.ts");
    writeFileSync(
      file,
      `import { defineProfile } from "autotrex";\nexport default defineProfile({\n  description: "x",,\n});\n`,
    );
    const err = await promisify(execFile)(process.execPath, ["bin/autotrex.js", "simulate", file], {
      cwd: root,
    }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr.trim().split("\n")).toHaveLength(1);
    expect(err?.stderr).toContain(`${file}:3`);
  });
});

describe("autotrex simulate --pcap through the real binary", () => {
  const bin = join(root, "bin/autotrex.js");
  const run = (args: string[], cwd = dir) =>
    promisify(execFile)(process.execPath, [bin, "simulate", ...args], { cwd }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  it("lists the first 10 packets, then one summary line; --list N lists N", async () => {
    const pcap = join(dir, "many.pcap");
    const { code, stdout } = await run(["tcp_1pkt_rand", "--count", "5000", "--pcap", pcap]);
    expect(code).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(1 + LISTED_WITH_PCAP + 1);
    expect(lines[1]).toMatch(/^ {4}1 {2}tcp-rand {2}60 B {2}Ether/);
    expect(lines.at(-1)).toBe(
      `# wrote 5000 packets (${24 + 5000 * 76} bytes) to ${pcap}, the first 10 listed (--list N for more)`,
    );
    expect(parsePcap(readFileSync(pcap)).records).toHaveLength(5000);
    const listed = await run(["tcp_1pkt_rand", "--count", "50", "--pcap", pcap, "--list", "25"]);
    expect(listed.stdout.trim().split("\n")).toHaveLength(1 + 25 + 1);
    const one = await run(["tcp_1pkt_rand", "--count", "1", "--pcap", pcap]);
    expect(one.stdout.trim().split("\n").at(-1)).toBe(`# wrote 1 packet (100 bytes) to ${pcap}`);
  });

  // GNU time (Debian's `time` package) reports the child's peak resident memory.
  it.skipIf(!existsSync("/usr/bin/time"))(
    "streams to disk: 30x the packets, the same peak memory (within 25 MB)",
    async () => {
      const peakKb = async (count: number) => {
        const file = join(dir, `rss-${count}.pcap`);
        const { stderr } = await promisify(execFile)("/usr/bin/time", [
          "-f",
          "rss %M",
          process.execPath,
          ...[bin, "simulate", "tcp_1pkt_rand", "--count", String(count), "--pcap", file],
        ]);
        expect(statSync(file).size).toBe(24 + count * 76);
        rmSync(file);
        return Number(/rss (\d+)/.exec(stderr)?.[1]);
      };
      const [small, large] = [await peakKb(50_000), await peakKb(1_500_000)];
      // 1.5 M records are 114 MB: held in memory, they would show here.
      expect(large - small).toBeLessThan(25 * 1024);
    },
  );

  it("a pcap that cannot be written: one line naming the file and the errno, exit 4", async () => {
    const readOnly = join(dir, "read-only");
    mkdirSync(readOnly, { mode: 0o500 });
    const cases: Array<[string, RegExp]> = [["/dev/full", /ENOSPC \(no space left on device\)$/]];
    // root ignores directory permissions: EACCES only for an ordinary user.
    if (process.getuid?.() !== 0) cases.push([join(readOnly, "x.pcap"), /EACCES/]);
    cases.push([join(dir, "no-such-dir", "x.pcap"), /ENOENT/]);
    for (const [file, errno] of cases) {
      const { code, stdout, stderr } = await run(["tcp_1pkt", "--count", "100000", "--pcap", file]);
      expect(code, file).toBe(4);
      expect(stderr.trim().split("\n"), file).toHaveLength(1);
      expect(stderr).toContain(`--pcap ${file}: cannot write: `);
      expect(stderr.trim()).toMatch(errno);
      expect(stdout).not.toContain("# wrote");
    }
  });

  it("takes a shipped profile by name from any directory; an existing path wins", async () => {
    const elsewhere = mkdtempSync(join(dir, "cwd-"));
    for (const name of ["srv6_1pkt", "srv6_1pkt.ts"]) {
      const { code, stdout } = await run([name, "--size", "128", "--count", "1"], elsewhere);
      expect(code, name).toBe(0);
      expect(stdout).toMatch(/^# srv6_1pkt: One SRv6 stream/);
    }
    writeFileSync(
      join(elsewhere, "tcp_1pkt.ts"),
      `import { defineProfile, packet, Ether, IP, UDP } from "autotrex";\n` +
        `export default defineProfile({ description: "mine", streams: () => [{ packet: packet(Ether(), IP(), UDP()) }] });\n`,
    );
    const own = await run(["tcp_1pkt.ts", "--count", "1"], elsewhere);
    expect(own.stdout).toMatch(/^# tcp_1pkt: mine /);
    const unknown = await run(["tcp1pkt"], elsewhere);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe(
      'autotrex: no such profile file or shipped profile "tcp1pkt" (closest: tcp_1pkt, udp_1pkt, srv6_1pkt; `autotrex profiles` lists them all)',
    );
  });
});

describe("autotrex simulate", () => {
  it("one line per packet, field engine applied", async () => {
    const { code, out } = await cli("profiles/tcp_1pkt_rand.ts", "--count", "3");
    expect(code).toBe(0);
    const lines = out.trim().split("\n");
    expect(lines[0]).toMatch(/^# tcp_1pkt_rand: .*frame size 64 B, 1 stream/);
    expect(lines.slice(1)).toEqual([
      "    1  tcp-rand  60 B  Ether / IPv4 16.160.53.26 > 1.0.0.1 / TCP 13424 > 12 S / Raw 6",
      "    2  tcp-rand  60 B  Ether / IPv4 17.174.26.206 > 1.0.0.1 / TCP 26846 > 12 S / Raw 6",
      "    3  tcp-rand  60 B  Ether / IPv4 16.57.242.65 > 1.0.0.1 / TCP 31406 > 12 S / Raw 6",
    ]);
  });

  it("--pcap writes each stream's first N packets, stream by stream", async () => {
    const pcap = join(dir, "label.pcap");
    const { code } = await cli(
      "profiles/srv6_1pkt_254label.ts",
      "--size",
      "128",
      "--count",
      "2",
      "--pcap",
      pcap,
    );
    expect(code).toBe(0);
    const { records } = parsePcap(readFileSync(pcap));
    expect(records).toHaveLength(508);
    // Outer IPv6 flow label of stream k (packets 2k and 2k+1) is k.
    expect(records.map((r) => r.data.readUInt32BE(14) & 0xfffff)).toEqual(
      Array.from({ length: 508 }, (_, i) => Math.floor(i / 2)),
    );
    expect(records.every((r) => r.data.length === 124)).toBe(true);
  });

  it("--json is machine-readable, with the compiled field engine", async () => {
    const { code, out } = await cli(
      "profiles/tcp_1pkt_254flow.ts",
      "--size",
      "128",
      "--count",
      "2",
      "--json",
      "--encap-overhead",
      "4",
    );
    expect(code).toBe(0);
    const doc = JSON.parse(out);
    expect(doc).toMatchObject({ profile: "tcp_1pkt_254flow", frameSize: 128, encapOverhead: 4 });
    expect(doc.streams).toHaveLength(1);
    expect(doc.streams[0]).toMatchObject({
      name: "tcp-254flow",
      randomSeed: 0x1234,
      rateShare: 1,
      mode: { type: "continuous" },
    });
    expect(doc.streams[0].vm.instructions.map((i: { type: string }) => i.type)).toEqual([
      "flow_var",
      "write_flow_var",
      "fix_checksum_ipv4",
    ]);
    expect(doc.streams[0].packets).toHaveLength(2);
    expect(doc.streams[0].packets[0].length).toBe(120);
    expect(doc.streams[0].packets[0].summary).toMatch(
      /^Ether \/ IPv4 16\.0\.0\.\d+ > 1\.0\.0\.1 \/ TCP 13 > 12 S \/ Raw 66$/,
    );
  });

  it("--hex dumps each packet layer by layer", async () => {
    const { out } = await cli("profiles/udp_1pkt.ts", "--count", "1", "--hex");
    expect(out).toContain("###[ UDP ]###");
    expect(out).toMatch(/0000 {2}00 00 00 02 00 00 00 00 00 01 00 00 08 00 45 00/);
  });

  it("bad input: one line on stderr and exit status 2", async () => {
    const cases: [string[], RegExp][] = [
      [["profiles/missing.ts"], /no such profile file/],
      [["package.json"], /not a profile/],
      [
        ["profiles/tcp_1pkt.ts", "--size", "63"],
        /^autotrex: --size "63": expected an integer from 64 to 9216$/m,
      ],
      [["profiles/tcp_1pkt.ts", "--size", "9217"], /--size "9217": expected an integer/],
      [["profiles/tcp_1pkt.ts", "--size", "abc"], /--size "abc": expected an integer/],
      [["profiles/srv6_1pkt_ip6.ts", "--size", "128"], /frame size 128 B is too small.*N\/A/],
      [["profiles/tcp_1pkt.ts", "--encap-overhead", "20"], /frame size 64 B is too small/],
      [["srv6_1pkt"], /frame size 64 B is too small.*\(N\/A at this size; --size 122 fits\)/],
      [["srv6_1pkt", "--encap-overhead", "8", "--size", "122"], /; --size 130 fits\)/],
    ];
    for (const [args, re] of cases) {
      const { code, err, out } = await cli(...args);
      expect(code, args.join(" ")).toBe(2);
      expect(err).toMatch(re);
      expect(err.trim().split("\n")).toHaveLength(1);
      expect(out).toBe("");
    }
  });
});
