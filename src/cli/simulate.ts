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
  type LoadedProfile,
  type ResolvedStream,
} from "../profile/index.ts";
import { MAX_FRAME_SIZE, MIN_FRAME_SIZE } from "../rate/line-rate.ts";
import { VmRunner } from "../vm/index.ts";
import { CliError, ExitCode } from "./exit-codes.ts";
import { integerFlag } from "./flags.ts";
import { profileArgument } from "./profiles.ts";

/** With --pcap, only this many packets are listed unless --list says otherwise. */
export const LISTED_WITH_PCAP = 10;
/** A pcap that cannot be written: exit status 4, as every file autotrex cannot write. */
const PCAP_WRITE_EXIT = ExitCode.writeFailed;

export interface SimulateOptions {
  size: number;
  count: number;
  encapOverhead: number;
  pcap?: string;
  /** Packets to list: default all of them, LISTED_WITH_PCAP with --pcap. */
  list?: number;
  hex?: boolean;
  json?: boolean;
}

/**
 * A stream's packets one call at a time, field engine applied. A packet is valid until the
 * next call (the runner's own buffer): copy it to keep it.
 */
export function packetSource(stream: ResolvedStream): () => Buffer {
  if (!stream.vm) return () => stream.packet;
  const runner = new VmRunner(stream.vm, stream.packet, { seed: stream.randomSeed });
  return () => runner.nextView();
}

function intOption(name: string, min: number, max: number) {
  return (text: string): number => integerFlag(`--${name}`, text, min, max);
}

/** Loads the profile and resolves its streams for the one size simulated; errors exit 2. */
async function profileStreams(
  path: string,
  opts: SimulateOptions,
): Promise<{ loaded: LoadedProfile; streams: ResolvedStream[] }> {
  let loaded: LoadedProfile;
  try {
    loaded = await loadProfile(profileArgument(path), {
      frameSizes: [opts.size],
      encapOverhead: opts.encapOverhead,
      ports: [{ portId: 0, direction: "forward" }],
    });
  } catch (err) {
    if (err instanceof ProfileError) throw new CliError(err.message, ExitCode.usage);
    throw err;
  }
  try {
    const streams = resolveStreams(loaded.profile, {
      frameSize: opts.size,
      encapOverhead: opts.encapOverhead,
      portId: 0,
      direction: "forward",
    });
    return { loaded, streams };
  } catch (err) {
    if (err instanceof FrameTooSmallError) {
      // The smallest size that fits: this one plus what the headers lack.
      const fits = opts.size + err.headerBytes - err.availableBytes;
      const hint = fits <= MAX_FRAME_SIZE ? `; --size ${fits} fits` : "";
      throw new CliError(
        `${loaded.name}: ${err.message} (N/A at this size${hint})`,
        ExitCode.usage,
      );
    }
    if (err instanceof ProfileError) throw new CliError(err.message, ExitCode.usage);
    throw err;
  }
}

export async function simulate(path: string, opts: SimulateOptions): Promise<number> {
  const { loaded, streams } = await profileStreams(path, opts);
  const { name, description, profile } = loaded;
  const pcap = opts.pcap ? openPcap(opts.pcap) : undefined;
  const out: string[] = [];
  if (!opts.json) {
    const size = profile.mix ? "mix, --size ignored" : `frame size ${opts.size} B`;
    out.push(`# ${name}: ${description} (${size}, ${streams.length} stream(s))`);
  }
  const listed = opts.list ?? (opts.pcap ? LISTED_WITH_PCAP : Number.POSITIVE_INFINITY);
  let json: unknown[];
  try {
    json = emitPackets(streams, opts, listed, out, pcap);
    await pcap?.close();
  } catch (err) {
    throw pcap && opts.pcap && isErrno(err) ? pcapError(opts.pcap, err) : err;
  }
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
  } else if (pcap && opts.pcap) {
    const shown =
      pcap.packetCount > listed ? `, the first ${listed} listed (--list N for more)` : "";
    out.push(
      `# wrote ${pcap.packetCount} packet${pcap.packetCount === 1 ? "" : "s"} (${pcap.byteCount} bytes) to ${opts.pcap}${shown}`,
    );
  }
  flush(out);
  return ExitCode.ok;
}

/**
 * Runs every stream's field engine for `opts.count` packets, writing each to the pcap and
 * listing the first `listed` ones (text lines into `out`, flushed as they grow, or the --json
 * stream entries, which it returns).
 */
function emitPackets(
  streams: ResolvedStream[],
  opts: SimulateOptions,
  listed: number,
  out: string[],
  pcap: PcapWriter | undefined,
): unknown[] {
  const json: unknown[] = [];
  let index = 0;
  for (const s of streams) {
    const packets: unknown[] = [];
    const next = packetSource(s);
    for (let i = 0; i < opts.count; i++) {
      if (index >= listed && pcap) {
        // Past the listing: only the pcap, in a tight loop (this is where the time goes).
        for (; i < opts.count; i++) pcap.write(next(), ++index);
        break;
      }
      const pkt = next();
      index++;
      pcap?.write(pkt, index);
      if (index > listed) continue;
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
  return json;
}

function isErrno(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === "string";
}

/** One line naming the file and the errno: "--pcap /dev/full: cannot write: ENOSPC (no space left on device)". */
function pcapError(file: string, err: NodeJS.ErrnoException): CliError {
  const reason = err.message.replace(/^[A-Z]+: /, "").replace(/, \w+( .*)?$/, "");
  return new CliError(`--pcap ${file}: cannot write: ${err.code} (${reason})`, PCAP_WRITE_EXIT);
}

function openPcap(file: string): PcapWriter {
  try {
    return PcapWriter.toFile(file);
  } catch (err) {
    if (isErrno(err)) throw pcapError(file, err);
    throw err;
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
    .argument(
      "<profile>",
      "profile file (.ts or .js) anywhere on disk, or a shipped profile's name",
    )
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
    .option(
      "--list <n>",
      `packets to list (default: all, the first ${LISTED_WITH_PCAP} with --pcap)`,
      intOption("list", 0, 100_000_000),
    )
    .option("--hex", "show each packet layer by layer with a hex dump")
    .option("--json", "machine-readable output")
    .action(async (path: string, opts: SimulateOptions) => {
      setExit(await simulate(path, opts));
    });
}
