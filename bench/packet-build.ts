/**
 * Packet-layer throughput: build, offsetOf, dissect and pcap writing.
 * Run: npx tsx bench/packet-build.ts
 */
import { Ether, IPv4, IPv6, PcapWriter, SRH, TCP, dissect, packet } from "../src/packet/index.ts";

function measure(label: string, iterations: number, fn: () => unknown): void {
  for (let i = 0; i < Math.min(iterations, 10_000); i++) fn(); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  const ns = Number(process.hrtime.bigint() - t0) / iterations;
  console.log(
    `${label.padEnd(48)} ${(ns / 1000).toFixed(3).padStart(8)} us/op  ${(1e9 / ns / 1e6).toFixed(2)} M op/s`,
  );
}

const N = 200_000;
const tcp64 = () =>
  packet(
    Ether(),
    IPv4({ src: "16.0.0.1", dst: "48.0.0.1" }),
    TCP({ dport: 12, sport: 1025 }),
  ).padTo(60);
const srv6 = () =>
  packet(
    Ether(),
    IPv6({ src: "aa::1", dst: "bb::1" }),
    SRH({ addresses: ["bb::1"] }),
    IPv4({ src: "16.0.0.1", dst: "48.0.0.1" }),
    TCP({ dport: 12, sport: 1025 }),
  ).padTo(1514);

measure("layers + padTo + bytes(), IPv4/TCP 64 B frame", N, () => tcp64().bytes());
measure("layers + padTo + bytes(), SRv6/IPv4/TCP 1518 B", N, () => srv6().bytes());
const built = tcp64();
built.bytes();
measure("bytes() of a built packet (cached, copied)", N, () => built.bytes());
measure('offsetOf("IPv4.src")', N, () => built.offsetOf("IPv4.src"));
const frame = built.bytes();
measure("dissect, IPv4/TCP 64 B frame", N, () => dissect(frame));
const w = PcapWriter.toFile("/dev/null");
measure("PcapWriter.write to /dev/null, 60 B", N, () => w.write(frame, 0));
await w.close();
