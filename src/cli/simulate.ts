/**
 * `autotrex simulate <profile>`: builds a profile's streams for one frame size and runs the
 * field engine locally, printing the packets and optionally writing them to a pcap file.
 * No TRex server is involved.
 */
import type { Command } from "commander";
import { formatDissection, FrameTooSmallError, PcapWriter, summarize } from "../packet/index.ts";
import {
  loadProfile,
  ProfileError,
  resolveStreams,
  type ResolvedStream,
} from "../profile/index.ts";
import { MAX_FRAME_SIZE, MIN_FRAME_SIZE } from "../rate/line-rate.ts";
import { VmRunner } from "../vm/index.ts";
import { CliError, ExitCode } from "./exit-codes.ts";

export interface SimulateOptions {
  size: number;
  count: number;
  encapOverhead: number;
  pcap?: string;
  hex?: boolean;
  json?: boolean;
}

/** The first `count` packets of a stream, field engine applied. */
export function* streamPackets(stream: ResolvedStream, count: number): Generator<Buffer> {
  if (!stream.vm) {
    for (let i = 0; i < count; i++) yield stream.packet;
    return;
  }
  const runner = new VmRunner(stream.vm, stream.packet, { seed: stream.randomSeed });
  for (let i = 0; i < count; i++) yield runner.nextView();
}

function intOption(name: string, min: number, max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
      throw new CliError(`--${name} ${text}: expected an integer in ${min}..${max}`);
    return n;
  };
}

export async function simulate(path: string, opts: SimulateOptions): Promise<number> {
  let loaded;
  try {
    loaded = await loadProfile(path, {
      frameSizes: [opts.size],
      encapOverhead: opts.encapOverhead,
      ports: [{ portId: 0, direction: "forward" }],
    });
  } catch (err) {
    if (err instanceof ProfileError) throw new CliError(err.message, ExitCode.usage);
    throw err;
  }
  const { name, description, profile } = loaded;
  let streams: ResolvedStream[];
  try {
    streams = resolveStreams(profile, {
      frameSize: opts.size,
      encapOverhead: opts.encapOverhead,
      portId: 0,
      direction: "forward",
    });
  } catch (err) {
    if (err instanceof FrameTooSmallError)
      throw new CliError(`${name}: ${err.message} (N/A at this size)`, ExitCode.usage);
    if (err instanceof ProfileError) throw new CliError(err.message, ExitCode.usage);
    throw err;
  }

  const pcap = opts.pcap ? openPcap(opts.pcap) : undefined;
  const out: string[] = [];
  const json: unknown[] = [];
  if (!opts.json) {
    const size = profile.mix ? "mix, --size ignored" : `frame size ${opts.size} B`;
    out.push(`# ${name}: ${description} (${size}, ${streams.length} stream(s))`);
  }
  let index = 0;
  for (const s of streams) {
    const packets: unknown[] = [];
    for (const pkt of streamPackets(s, opts.count)) {
      index++;
      pcap?.write(pkt, index);
      if (opts.json) {
        packets.push({ length: pkt.length, summary: summarize(pkt), hex: pkt.toString("hex") });
        continue;
      }
      out.push(`${String(index).padStart(5)}  ${s.name}  ${pkt.length} B  ${summarize(pkt)}`);
      if (opts.hex) out.push(indent(formatDissection(pkt, { hex: true })), "");
      if (out.length >= 1024) flush(out);
    }
    if (opts.json)
      json.push({
        name: s.name,
        frameSize: s.frameSize,
        rateShare: s.rateShare,
        isgUs: s.isgUs,
        mode: s.mode,
        ...(s.randomSeed !== undefined ? { randomSeed: s.randomSeed } : {}),
        ...(s.vm ? { vm: s.vm } : {}),
        packets,
      });
  }
  await pcap?.close();
  if (opts.json) {
    out.push(
      JSON.stringify(
        {
          profile: name,
          description,
          path: loaded.path,
          frameSize: profile.mix ? null : opts.size,
          encapOverhead: opts.encapOverhead,
          streams: json,
        },
        null,
        2,
      ),
    );
  } else if (opts.pcap) {
    out.push(`# wrote ${index} packet(s) to ${opts.pcap}`);
  }
  flush(out);
  return ExitCode.ok;
}

function openPcap(file: string): PcapWriter {
  try {
    return PcapWriter.toFile(file);
  } catch (err) {
    throw new CliError(
      `--pcap ${file}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
}

function flush(lines: string[]): void {
  if (lines.length === 0) return;
  process.stdout.write(`${lines.join("\n")}\n`);
  lines.length = 0;
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `        ${l}`)
    .join("\n");
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("simulate")
    .description(
      "build a profile's packets locally (field engine applied), list them or write a pcap",
    )
    .argument("<profile>", "profile file (.ts or .js), anywhere on disk")
    .option(
      "--size <bytes>",
      `frame size, FCS included (${MIN_FRAME_SIZE}..${MAX_FRAME_SIZE})`,
      intOption("size", MIN_FRAME_SIZE, MAX_FRAME_SIZE),
      64,
    )
    .option("--count <n>", "packets per stream", intOption("count", 1, 100_000_000), 10)
    .option(
      "--encap-overhead <bytes>",
      "bytes of encapsulation the DUT path adds",
      intOption("encap-overhead", 0, MAX_FRAME_SIZE),
      0,
    )
    .option("--pcap <file>", "write each stream's packets to this pcap file, stream by stream")
    .option("--hex", "show each packet layer by layer with a hex dump")
    .option("--json", "machine-readable output")
    .action(async (path: string, opts: SimulateOptions) => {
      setExit(await simulate(path, opts));
    });
}
