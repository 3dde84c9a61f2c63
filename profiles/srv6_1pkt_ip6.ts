import { defineProfile, Ether, IPv6, packet, SRH, TCP } from "autotrex";

export default defineProfile({
  description:
    "One SRv6 stream: IPv6 aa::1 > bb::1 with an SRH (segment bb::1) carrying IPv6/TCP dd::1 > ee::1.",
  streams: () => [
    {
      name: "srv6-ip6",
      packet: packet(
        Ether(),
        IPv6({ src: "aa::1", dst: "bb::1" }),
        SRH({ addresses: ["bb::1"] }),
        IPv6({ src: "dd::1", dst: "ee::1" }),
        TCP({ dport: 12, sport: 13 }),
      ),
    },
  ],
});
