/**
 * Classic libpcap files (magic a1b2c3d4, version 2.4, snaplen 65535, linktype 1 Ethernet,
 * microsecond timestamps), written by hand.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import type { Writable } from "node:stream";

export const PCAP_MAGIC = 0xa1b2c3d4;
export const PCAP_SNAPLEN = 65535;
export const LINKTYPE_ETHERNET = 1;

export interface PcapRecord {
  readonly data: Uint8Array;
  /** Capture time in microseconds since the epoch (default 0). */
  readonly timestampUs?: number;
}

export function pcapFileHeader(snaplen = PCAP_SNAPLEN, linktype = LINKTYPE_ETHERNET): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(PCAP_MAGIC, 0); // little-endian file, as libpcap writes on x86
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeInt32LE(0, 8); // thiszone
  h.writeUInt32LE(0, 12); // sigfigs
  h.writeUInt32LE(snaplen, 16);
  h.writeUInt32LE(linktype, 20);
  return h;
}

function recordHeader(
  into: Buffer,
  at: number,
  length: number,
  timestampUs: number,
  snaplen: number,
): void {
  if (!Number.isFinite(timestampUs) || timestampUs < 0)
    throw new RangeError(`bad pcap timestamp ${timestampUs} us`);
  const us = Math.round(timestampUs);
  into.writeUInt32LE(Math.floor(us / 1e6), at);
  into.writeUInt32LE(us % 1e6, at + 4);
  into.writeUInt32LE(Math.min(length, snaplen), at + 8);
  into.writeUInt32LE(length, at + 12);
}

/** A whole pcap file in memory, for small outputs and tests. */
export function pcapBytes(records: Iterable<PcapRecord>, snaplen = PCAP_SNAPLEN): Buffer {
  const parts: Buffer[] = [pcapFileHeader(snaplen)];
  for (const r of records) {
    const caplen = Math.min(r.data.length, snaplen);
    const rec = Buffer.alloc(16 + caplen);
    recordHeader(rec, 0, r.data.length, r.timestampUs ?? 0, snaplen);
    rec.set(r.data.subarray(0, caplen), 16);
    parts.push(rec);
  }
  return Buffer.concat(parts);
}

export interface ParsedPcap {
  readonly snaplen: number;
  readonly linktype: number;
  readonly records: { data: Buffer; timestampUs: number; origLength: number }[];
}

/** Reads a classic pcap file (either byte order, microsecond or nanosecond magic). */
export function parsePcap(bytes: Uint8Array): ParsedPcap {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 24) throw new Error("pcap: shorter than the file header");
  const magicLE = b.readUInt32LE(0);
  const le = magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d;
  const magic = le ? magicLE : b.readUInt32BE(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d)
    throw new Error(`pcap: bad magic 0x${magicLE.toString(16)}`);
  const u32 = (at: number): number => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const fractionPerSecond = magic === 0xa1b23c4d ? 1e9 : 1e6;
  const records: ParsedPcap["records"] = [];
  let at = 24;
  while (at + 16 <= b.length) {
    const caplen = u32(at + 8);
    if (at + 16 + caplen > b.length) throw new Error(`pcap: truncated record at byte ${at}`);
    records.push({
      timestampUs: u32(at) * 1e6 + Math.floor((u32(at + 4) * 1e6) / fractionPerSecond),
      origLength: u32(at + 12),
      data: Buffer.from(b.subarray(at + 16, at + 16 + caplen)),
    });
    at += 16 + caplen;
  }
  if (at !== b.length) throw new Error("pcap: trailing bytes after the last record");
  return { snaplen: u32(16), linktype: u32(20), records };
}

const FLUSH_BYTES = 64 * 1024;

/**
 * Streams packets into a pcap file through a file descriptor (synchronous writes) or a
 * Writable stream. Records are batched in memory and flushed every 64 KiB and on close().
 */
export class PcapWriter {
  readonly #sink: number | Writable;
  readonly #ownsFd: boolean;
  readonly #snaplen: number;
  #chunks: Buffer[] = [];
  #pending = 0;
  #closed = false;
  #count = 0;

  /** `sink`: a file descriptor (left open unless `ownsFd`) or a Writable stream (ended on close). */
  constructor(sink: number | Writable, opts: { snaplen?: number; ownsFd?: boolean } = {}) {
    this.#sink = sink;
    this.#ownsFd = opts.ownsFd ?? false;
    this.#snaplen = opts.snaplen ?? PCAP_SNAPLEN;
    this.#push(pcapFileHeader(this.#snaplen));
  }

  /** Creates (truncates) `path` and writes to it; close() closes the file. */
  static toFile(path: string, opts: { snaplen?: number } = {}): PcapWriter {
    return new PcapWriter(openSync(path, "w"), { ...opts, ownsFd: true });
  }

  get packetCount(): number {
    return this.#count;
  }

  write(data: Uint8Array, timestampUs = 0): void {
    if (this.#closed) throw new Error("PcapWriter: write after close");
    const caplen = Math.min(data.length, this.#snaplen);
    const rec = Buffer.allocUnsafe(16 + caplen);
    recordHeader(rec, 0, data.length, timestampUs, this.#snaplen);
    rec.set(data.subarray(0, caplen), 16);
    this.#push(rec);
    this.#count++;
  }

  #push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#pending += chunk.length;
    if (this.#pending >= FLUSH_BYTES) this.flush();
  }

  /** Hands buffered records to the sink. */
  flush(): void {
    if (this.#pending === 0) return;
    const data = Buffer.concat(this.#chunks, this.#pending);
    this.#chunks = [];
    this.#pending = 0;
    if (typeof this.#sink === "number") {
      for (let off = 0; off < data.length;) off += writeSync(this.#sink, data, off);
    } else {
      this.#sink.write(data);
    }
  }

  /** Flushes, then closes an owned file or ends a stream (resolving when it has finished). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    const sink = this.#sink;
    if (typeof sink === "number") {
      if (this.#ownsFd) closeSync(sink);
      return;
    }
    await new Promise<void>((resolve, reject) => {
      sink.once("error", reject);
      sink.end(() => resolve());
    });
  }
}
