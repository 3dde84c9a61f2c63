/**
 * `simulate` throughput: packets per second written to a pcap file for tcp_1pkt_rand (field
 * engine on every packet: two random variables, two writes, an IPv4 checksum fix), next to
 * Scapy building the same packets in the same run. Both outputs are compared byte for byte.
 * The headline is the command as a user runs it, `autotrex simulate tcp_1pkt_rand --count N
 * --pcap F` from an installed layout, timed from spawn to exit (process start, profile load
 * and listing included); the in-process loop is shown beside it.
 * Writes the figures to bench/REPORT.md, section "simulate".
 * Run: npx tsx bench/simulate.ts [--packets N] [--scapy-packets N]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, getPriority, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parsePcap, PcapWriter } from "../src/packet/index.ts";
import { loadProfile, resolveStreams, type ResolvedStream } from "../src/profile/index.ts";
import { VmRunner } from "../src/vm/index.ts";
import { installedCopy } from "./installed-copy.ts";
import { writeReportSection } from "./report-file.ts";

const PROFILE = fileURLToPath(new URL("../profiles/tcp_1pkt_rand.ts", import.meta.url));
const PYTHON = "/usr/bin/python3";

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : Number(process.argv[i + 1]);
}
const PACKETS = arg("packets", 2_000_000);
const SCAPY_PACKETS = arg("scapy-packets", 30_000);
const RUNS = 3;

/** Field engine + pcap write, the same loop `autotrex simulate --pcap` runs. */
function runTs(stream: ResolvedStream, count: number, file: string): number {
  const runner = new VmRunner(stream.vm!, stream.packet, { seed: stream.randomSeed });
  const pcap = PcapWriter.toFile(file);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) pcap.write(runner.nextView(), i);
  pcap.flush();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  void pcap.close();
  return count / s;
}

// Scapy builds each packet from its layers as a Scapy user would, with the field values the
// field engine gives (TRex's generator, same seed) and the template's TCP checksum (the
// program fixes only the IPv4 one), then writes it with Scapy's PcapWriter.
const SCAPY = String.raw`
import sys, time
from scapy.all import Ether, IP, TCP, Raw, PcapWriter, raw
n, frame, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
state = [(0x1234 * 514229) & 0xFFFFFFFF]
def r16():
    state[0] = (214013 * state[0] + 2531011) & 0xFFFFFFFF
    return (state[0] >> 16) & 0x7FFF
E = dict(src="00:00:00:01:00:00", dst="00:00:00:02:00:00")
payload = b"x" * (frame - 4 - 54)
tmpl = Ether(raw(Ether(**E) / IP(src="16.0.0.1", dst="1.0.0.1") / TCP(dport=12) / Raw(payload)))
tcp_chksum = tmpl[TCP].chksum
w = PcapWriter(out, linktype=1, sync=False)
t0 = time.perf_counter()
for i in range(n):
    hi = r16(); ip = 0x10000000 + ((hi << 16) + r16()) % (0x120000FE - 0x10000000 + 1)
    port = 1025 + r16() % (65000 - 1025 + 1)
    src = "%d.%d.%d.%d" % (ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255)
    p = Ether(**E) / IP(src=src, dst="1.0.0.1") / TCP(sport=port, dport=12, chksum=tcp_chksum) / Raw(payload)
    w.write(raw(p))
w.close()
print(n / (time.perf_counter() - t0))
`;

/** GNU time (Debian's `time` package): the CPU seconds of a child and all its threads. */
const GNU_TIME = "/usr/bin/time";

interface CliRun {
  /** Packets per second of wall time, spawn to exit. */
  pps: number;
  /** Packets per CPU second (user + system, every thread), when GNU time is there. */
  ppsCpu?: number;
}

/** `autotrex simulate` end to end, as a user runs it. */
function runCli(bin: string, frameSize: number, count: number, file: string): CliRun {
  const args = [bin, "simulate", "tcp_1pkt_rand", "--size", String(frameSize)];
  const command = [process.execPath, ...args, "--count", String(count), "--pcap", file];
  const timeFile = `${file}.time`;
  const timed = existsSync(GNU_TIME);
  const t0 = process.hrtime.bigint();
  const r = timed
    ? spawnSync(GNU_TIME, ["-f", "%U %S", "-o", timeFile, ...command], {
        stdio: ["ignore", "ignore", "inherit"],
      })
    : spawnSync(command[0], command.slice(1), { stdio: ["ignore", "ignore", "inherit"] });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`autotrex simulate: exit ${r.status}`);
  if (!timed) return { pps: count / s };
  const [user, system] = readFileSync(timeFile, "utf8").trim().split(/\s+/).map(Number);
  rmSync(timeFile);
  return { pps: count / s, ppsCpu: count / (user + system) };
}

function runScapy(count: number, frameSize: number, file: string): number {
  const out = execFileSync(PYTHON, ["-c", SCAPY, String(count), String(frameSize), file], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  return Number(out.trim().split("\n").pop());
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface SizeFigures {
  packets: number;
  cli: CliRun[];
  tsPps: number[];
  scapyPps: number;
}

/** One frame size: the command RUNS times, the in-process loop RUNS times, Scapy once. */
function measureSize(bin: string, stream: ResolvedStream, dir: string): SizeFigures {
  const frameSize = stream.frameSize;
  // Large frames: fewer packets, so the file stays a few hundred MB.
  const packets = frameSize > 256 ? Math.ceil(PACKETS / 15) : PACKETS;
  const cliFile = join(dir, "cli.pcap");
  const cli = Array.from({ length: RUNS }, () => runCli(bin, frameSize, packets, cliFile));
  runTs(stream, Math.min(packets, 200_000), join(dir, "warm.pcap")); // JIT warm-up
  const tsPps = Array.from({ length: RUNS }, () => runTs(stream, packets, join(dir, "ts.pcap")));
  rmSync(join(dir, "ts.pcap"));
  const scapyPps = runScapy(SCAPY_PACKETS, frameSize, join(dir, "scapy.pcap"));
  // The command's first SCAPY_PACKETS packets must be the ones Scapy built.
  const a = parsePcap(readFileSync(cliFile)).records;
  const b = parsePcap(readFileSync(join(dir, "scapy.pcap"))).records;
  const same =
    a.length === packets && b.every((r, i) => a[i] !== undefined && r.data.equals(a[i].data));
  if (!same) throw new Error(`frame size ${frameSize}: autotrex and Scapy packets differ`);
  rmSync(cliFile);
  return { packets, cli, tsPps, scapyPps };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "autotrex-bench-simulate-"));
  const copy = installedCopy();
  const { profile } = await loadProfile(PROFILE, {
    frameSizes: [64, 1518],
    ports: [{ portId: 0, direction: "forward" }],
  });
  const rows: string[] = [];
  const summary: string[] = [];
  const mpps = (x: number) => (x / 1e6).toFixed(2);
  try {
    for (const frameSize of [64, 1518]) {
      const [stream] = resolveStreams(profile, {
        frameSize,
        encapOverhead: 0,
        portId: 0,
        direction: "forward",
      });
      const f = measureSize(copy.bin, stream, dir);
      const [cliPps, tsPps] = [median(f.cli.map((r) => r.pps)), median(f.tsPps)];
      const cpu = f.cli.every((r) => r.ppsCpu !== undefined)
        ? `${mpps(median(f.cli.map((r) => r.ppsCpu!)))} M`
        : "—";
      const ratio = cliPps / f.scapyPps;
      console.log(
        `${frameSize} B: autotrex simulate ${mpps(cliPps)} Mpps end to end (runs ${f.cli.map((r) => mpps(r.pps)).join(", ")}; ${cpu} per CPU second), in process ${mpps(tsPps)} Mpps, Scapy ${(f.scapyPps / 1e3).toFixed(1)} kpps, ${ratio.toFixed(0)}x, first ${SCAPY_PACKETS} packets identical`,
      );
      rows.push(
        `| ${frameSize} | ${f.packets.toLocaleString("en-US")} | ${mpps(cliPps)} M | ${cpu} | ${mpps(tsPps)} M | ${(f.scapyPps / 1e3).toFixed(1)} k | ${ratio.toFixed(0)}× | yes |`,
      );
      if (frameSize === 64)
        summary.push(
          `Targets at 64 B, the command end to end: ≥ 1 M packets/s (${mpps(cliPps)} M: ${cliPps >= 1e6 ? "met" : "missed"}), ≥ 20× Scapy (${ratio.toFixed(0)}×: ${ratio >= 20 ? "met" : "missed"}).`,
        );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    copy.remove();
  }
  const scapyVersion = execFileSync(PYTHON, ["-c", "import scapy; print(scapy.VERSION)"], {
    encoding: "utf8",
  }).trim();
  writeReportSection(
    "simulate",
    [
      "## simulate",
      "",
      `Generated by \`npx tsx bench/simulate.ts\` (${new Date().toISOString().slice(0, 10)}, ${process.platform} ${process.arch}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}, load average ${loadavg()[0].toFixed(1)} at the end${getPriority() < 0 ? `, run at nice ${getPriority()} (a shared machine)` : ""}, Node ${process.version}, Scapy ${scapyVersion} on Debian's python3). ` +
        `Profile \`tcp_1pkt_rand\`: the field engine runs on every packet (random 4-byte source IP and 2-byte source port from TRex's generator, seed 0x1234, two writes, IPv4 checksum fix); ` +
        `each packet is written to a pcap file on the temp file system. autotrex end to end: \`autotrex simulate tcp_1pkt_rand --size S --count N --pcap F\` spawned from an installed layout (compiled dist/), packets / wall time from spawn to exit (Node start, the profile loaded in its worker, the 10 listed packets and the summary line included), the median of ${RUNS} runs; in process: VmRunner + PcapWriter alone, the loop the command runs, median of ${RUNS}. ` +
        `Scapy: ${SCAPY_PACKETS.toLocaleString("en-US")} packets, each built from its layers with the same field values and written with Scapy's PcapWriter, in the same run. ` +
        `The command's first ${SCAPY_PACKETS.toLocaleString("en-US")} packets are compared with Scapy's and are byte-identical. The ratio is the command end to end against Scapy's loop alone (its interpreter start excluded). ` +
        "Per CPU second: the same runs' packets over their CPU time (user + system of every thread — main, profile worker, module hooks — as GNU time counts it), a figure the machine's load does not change; the wall-clock figure approaches it on an idle machine.",
      "",
      "| frame size (B) | packets per run | autotrex simulate, end to end (packets/s) | the same per CPU second | in process (packets/s) | Scapy (packets/s) | ratio | identical |",
      "|---:|---:|---:|---:|---:|---:|---:|:---:|",
      ...rows,
      "",
      ...summary,
      "",
    ].join("\n"),
  );
}

await main();
