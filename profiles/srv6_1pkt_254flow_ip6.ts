import { defineProfile, Ether, IPv6, packet, SRH, TCP } from "autotrex";

export default defineProfile({
  description:
    "254 SRv6 streams from outer source aa::1 to aa::fe, each carrying IPv6/TCP dd::1 > ee::1.",
  streams: () =>
    Array.from({ length: 254 }, (_, i) => {
      const src = `aa::${(i + 1).toString(16)}`;
      return {
        name: `src-${src}`,
        packet: packet(
          Ether(),
          IPv6({ src, dst: "bb::1" }),
          SRH({ addresses: ["bb::1"] }),
          IPv6({ src: "dd::1", dst: "ee::1" }),
          TCP({ dport: 12, sport: 13 }),
        ),
      };
    }),
});
