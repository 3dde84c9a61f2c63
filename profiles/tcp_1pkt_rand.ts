import {
  defineProfile,
  Ether,
  fieldEngine,
  fixIpv4Checksum,
  flowVar,
  IP,
  packet,
  TCP,
  writeVar,
} from "autotrex";

export default defineProfile({
  description:
    "One IPv4/TCP stream to 1.0.0.1:12 with random source IP 16.0.0.0-18.0.0.254 and source port 1025-65000 (seed 0x1234).",
  streams: () => [
    {
      name: "tcp-rand",
      // The original left IP.src to Scapy's routing table (it depends on the host); the field
      // engine rewrites it in every packet, so the template pins 16.0.0.1.
      packet: packet(Ether(), IP({ src: "16.0.0.1", dst: "1.0.0.1" }), TCP({ dport: 12 })),
      fieldEngine: fieldEngine([
        flowVar({ name: "ip_src", min: "16.0.0.0", max: "18.0.0.254", size: 4, op: "random" }),
        flowVar({ name: "src_port", min: 1025, max: 65000, size: 2, op: "random" }),
        writeVar({ name: "ip_src", offset: "IP.src" }),
        fixIpv4Checksum("IP"),
        writeVar({ name: "src_port", offset: "TCP.sport" }),
      ]),
      randomSeed: 0x1234,
    },
  ],
});
