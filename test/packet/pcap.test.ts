import { mkdtempSync, readFileSync, rmSync, createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import {
  Ether,
  IPv4,
  PcapWriter,
  TCP,
  UDP,
  packet,
  parsePcap,
  pcapBytes,
  summarize,
} from "../../src/packet/index.ts";

const dir = mkdtempSync(join(tmpdir(), "autotrex-pcap-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const frames = [
  packet(Ether(), IPv4({ src: "16.0.0.1", dst: "48.0.0.1" }), TCP({ sport: 1025, dport: 12 }))
    .padTo(60)
    .bytes(),
  packet(Ether(), IPv4({ src: "16.0.0.2", dst: "48.0.0.1" }), UDP())
    .padTo(1514)
    .bytes(),
];

describe("pcap files", () => {
  it("pcapBytes writes the classic header and little-endian records", () => {
    const file = pcapBytes(
      frames.map((data, i) => ({ data, timestampUs: 1_700_000_000_000_000 + i * 1500 })),
    );
    expect(file.subarray(0, 24).toString("hex")).toBe(
      // magic, v2.4, thiszone 0, sigfigs 0, snaplen 65535, linktype 1
      "d4c3b2a1" + "0200" + "0400" + "00000000" + "00000000" + "ffff0000" + "01000000",
    );
    expect(file.readUInt32LE(24)).toBe(1_700_000_000);
    expect(file.readUInt32LE(28)).toBe(0);
    expect(file.readUInt32LE(32)).toBe(60);
    expect(file.readUInt32LE(36)).toBe(60);
    expect(file.length).toBe(24 + 16 + 60 + 16 + 1514);
    const parsed = parsePcap(file);
    expect(parsed).toMatchObject({ snaplen: 65535, linktype: 1 });
    expect(parsed.records.map((r) => r.timestampUs - 1_700_000_000_000_000)).toEqual([0, 1500]);
    expect(parsed.records.map((r) => r.data)).toEqual(frames);
    expect(summarize(parsed.records[0].data)).toBe(
      "Ether / IPv4 16.0.0.1 > 48.0.0.1 / TCP 1025 > 12 S / Raw 6",
    );
  });

  it("cuts records at the snap length but keeps the original length", () => {
    const parsed = parsePcap(pcapBytes([{ data: frames[1] }], 100));
    expect(parsed.snaplen).toBe(100);
    expect(parsed.records[0].data.length).toBe(100);
    expect(parsed.records[0].origLength).toBe(1514);
  });

  it("PcapWriter streams to a file through a descriptor, flushing past 64 KiB", async () => {
    const path = join(dir, "fd.pcap");
    const w = PcapWriter.toFile(path);
    const n = 200; // 200 * 1530 B > 64 KiB: exercises the intermediate flushes
    for (let i = 0; i < n; i++) w.write(frames[i % 2], i * 10);
    expect(w.packetCount).toBe(n);
    await w.close();
    await w.close(); // idempotent
    expect(() => w.write(frames[0])).toThrow(/after close/);
    const parsed = parsePcap(readFileSync(path));
    expect(parsed.records.length).toBe(n);
    expect(parsed.records[199].timestampUs).toBe(1990);
    expect(parsed.records[199].data).toEqual(frames[1]);
    expect(readFileSync(path)).toEqual(
      pcapBytes(
        Array.from({ length: n }, (_, i) => ({ data: frames[i % 2], timestampUs: i * 10 })),
      ),
    );
  });

  it("PcapWriter writes to a stream and ends it on close", async () => {
    const path = join(dir, "stream.pcap");
    const w = new PcapWriter(createWriteStream(path));
    w.write(frames[0], 5);
    await w.close();
    expect(parsePcap(readFileSync(path)).records[0]).toMatchObject({
      timestampUs: 5,
      origLength: 60,
    });

    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on("data", (c: Buffer) => chunks.push(c));
    const w2 = new PcapWriter(sink);
    w2.write(frames[1]);
    await w2.close();
    expect(Buffer.concat(chunks)).toEqual(pcapBytes([{ data: frames[1] }]));
  });

  it("rejects what is not a pcap file", () => {
    expect(() => parsePcap(Buffer.alloc(10))).toThrow(/header/);
    expect(() => parsePcap(Buffer.alloc(24))).toThrow(/magic/);
    const truncated = pcapBytes([{ data: frames[0] }]).subarray(0, 24 + 16 + 10);
    expect(() => parsePcap(truncated)).toThrow(/truncated/);
  });
});
