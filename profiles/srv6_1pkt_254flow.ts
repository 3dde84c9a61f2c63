import { defineProfile, Ether, IP, IPv6, packet, SRH, TCP } from "autotrex";

export default defineProfile({
  description:
    "254 SRv6 streams from outer source aa::1 to aa::fe, each carrying IPv4/TCP 16.0.0.1 > 48.0.0.1.",
  streams: () =>
    Array.from({ length: 254 }, (_, i) => {
      const src = `aa::${(i + 1).toString(16)}`;
      return {
        name: `src-${src}`,
        packet: packet(
          Ether(),
          IPv6({ src, dst: "bb::1" }),
          SRH({ addresses: ["bb::1"] }),
          IP({ src: "16.0.0.1", dst: "48.0.0.1" }),
          TCP({ dport: 12, sport: 13 }),
        ),
      };
    }),
});
