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
    "One IPv4/TCP stream to 1.0.0.1:12 from port 13, source IP random in 16.0.0.0-16.0.0.254 (seed 0x1234).",
  streams: () => [
    {
      name: "tcp-254flow",
      // The original left IP.src to Scapy's routing table; the field engine rewrites it.
      packet: packet(
        Ether(),
        IP({ src: "16.0.0.1", dst: "1.0.0.1" }),
        TCP({ dport: 12, sport: 13 }),
      ),
      fieldEngine: fieldEngine([
        flowVar({ name: "ip_src", min: "16.0.0.0", max: "16.0.0.254", size: 4, op: "random" }),
        writeVar({ name: "ip_src", offset: "IP.src" }),
        fixIpv4Checksum("IP"),
      ]),
      randomSeed: 0x1234,
    },
  ],
});
