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

/** A record's capture time as whole microseconds; a negative or non-finite one is refused. */
function checkedTimestampUs(timestampUs: number): number {
  if (!Number.isFinite(timestampUs) || timestampUs < 0)
    throw new RangeError(`bad pcap timestamp ${timestampUs} us`);
  return Math.round(timestampUs);
}

function recordHeader(
  into: Buffer,
  at: number,
  length: number,
  timestampUs: number,
  snaplen: number,
): void {
  const us = checkedTimestampUs(timestampUs);
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

/** Records are gathered into one buffer of this size and written when it is full. */
const FLUSH_BYTES = 64 * 1024;

/**
 * Streams packets into a pcap file through a file descriptor (synchronous writes) or a
 * Writable stream. Records are gathered in one reused 64 KiB buffer, written out when it is
 * full and on close(): memory stays bounded whatever the packet count. A write error (ENOSPC,
 * EIO, …) is thrown by the write() or close() that hit it, as Node's errno error.
 */
export class PcapWriter {
  readonly #sink: number | Writable;
  readonly #ownsFd: boolean;
  readonly #snaplen: number;
  readonly #buffer = Buffer.allocUnsafe(FLUSH_BYTES);
  readonly #view = new DataView(this.#buffer.buffer, this.#buffer.byteOffset, FLUSH_BYTES);
  #used = 0;
  #closed = false;
  #count = 0;
  #bytes = 0;

  /** `sink`: a file descriptor (left open unless `ownsFd`) or a Writable stream (ended on close). */
  constructor(sink: number | Writable, opts: { snaplen?: number; ownsFd?: boolean } = {}) {
    this.#sink = sink;
    this.#ownsFd = opts.ownsFd ?? false;
    this.#snaplen = opts.snaplen ?? PCAP_SNAPLEN;
    const header = pcapFileHeader(this.#snaplen);
    header.copy(this.#buffer);
    this.#used = header.length;
    this.#bytes = header.length;
  }

  /** Creates (truncates) `path` and writes to it; close() closes the file. */
  static toFile(path: string, opts: { snaplen?: number } = {}): PcapWriter {
    return new PcapWriter(openSync(path, "w"), { ...opts, ownsFd: true });
  }

  get packetCount(): number {
    return this.#count;
  }

  /** Bytes of the file so far (header and records, flushed or not). */
  get byteCount(): number {
    return this.#bytes;
  }

  write(data: Uint8Array, timestampUs = 0): void {
    if (this.#closed) throw new Error("PcapWriter: write after close");
    const caplen = Math.min(data.length, this.#snaplen);
    const size = 16 + caplen;
    if (this.#used + size > FLUSH_BYTES) this.flush();
    if (size > FLUSH_BYTES) {
      // Larger than the buffer (a snaplen above 64 KiB): written on its own.
      const rec = Buffer.allocUnsafe(size);
      recordHeader(rec, 0, data.length, timestampUs, this.#snaplen);
      rec.set(data.subarray(0, caplen), 16);
      this.#send(rec);
    } else {
      // The hot path of `simulate --pcap`: the record header through a DataView (no bounds
      // check per field), as recordHeader() writes it.
      const at = this.#used;
      const us = checkedTimestampUs(timestampUs);
      const view = this.#view;
      view.setUint32(at, Math.floor(us / 1e6), true);
      view.setUint32(at + 4, us % 1e6, true);
      view.setUint32(at + 8, caplen, true);
      view.setUint32(at + 12, data.length, true);
      this.#buffer.set(caplen === data.length ? data : data.subarray(0, caplen), at + 16);
      this.#used += size;
    }
    this.#count++;
    this.#bytes += size;
  }

  /** Hands buffered records to the sink. */
  flush(): void {
    if (this.#used === 0) return;
    const used = this.#used;
    this.#used = 0;
    // A stream keeps the chunk until it is written: it gets a copy of the reused buffer.
    this.#send(
      typeof this.#sink === "number"
        ? this.#buffer.subarray(0, used)
        : Buffer.from(this.#buffer.subarray(0, used)),
    );
  }

  #send(data: Buffer): void {
    if (typeof this.#sink === "number") {
      for (let off = 0; off < data.length;) off += writeSync(this.#sink, data, off);
    } else {
      this.#sink.write(data);
    }
  }

  /**
   * Flushes, then closes an owned file or ends a stream (resolving when it has finished). An
   * owned file is closed even when the last write fails; the error is thrown after.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const sink = this.#sink;
    try {
      this.flush();
    } finally {
      if (typeof sink === "number" && this.#ownsFd) closeSync(sink);
    }
    if (typeof sink === "number") return;
    await new Promise<void>((resolve, reject) => {
      sink.once("error", reject);
      sink.end(() => resolve());
    });
  }
}
