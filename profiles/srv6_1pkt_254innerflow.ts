import {
  defineProfile,
  Ether,
  fieldEngine,
  fixIpv4Checksum,
  flowVar,
  IP,
  IPv6,
  packet,
  SRH,
  TCP,
  writeVar,
} from "autotrex";

export default defineProfile({
  description:
    "One SRv6 stream carrying IPv4/TCP to 48.0.0.1 with the inner source IP random in 16.0.0.0-16.0.0.254 (seed 0x1234).",
  streams: () => [
    {
      name: "srv6-innerflow",
      packet: packet(
        Ether(),
        IPv6({ src: "aa::1", dst: "bb::1" }),
        SRH({ addresses: ["bb::1"] }),
        // The original left the inner IP.src to Scapy's routing table; the field engine rewrites it.
        IP({ src: "16.0.0.1", dst: "48.0.0.1" }),
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
