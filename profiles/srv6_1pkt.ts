import { defineProfile, Ether, IP, IPv6, packet, SRH, TCP } from "autotrex";

export default defineProfile({
  description:
    "One SRv6 stream: IPv6 aa::1 > bb::1 with an SRH (segment bb::1) carrying IPv4/TCP 16.0.0.1 > 48.0.0.1.",
  streams: () => [
    {
      name: "srv6",
      packet: packet(
        Ether(),
        IPv6({ src: "aa::1", dst: "bb::1" }),
        SRH({ addresses: ["bb::1"] }),
        IP({ src: "16.0.0.1", dst: "48.0.0.1" }),
        TCP({ dport: 12, sport: 13 }),
      ),
    },
  ],
});
