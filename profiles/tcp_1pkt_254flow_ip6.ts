import { defineProfile, Ether, IPv6, packet, TCP } from "autotrex";

export default defineProfile({
  description: "254 IPv6/TCP streams to [bb::1]:12 from port 13, source aa::1 to aa::fe.",
  streams: () =>
    Array.from({ length: 254 }, (_, i) => {
      const src = `aa::${(i + 1).toString(16)}`;
      return {
        name: `src-${src}`,
        packet: packet(Ether(), IPv6({ src, dst: "bb::1" }), TCP({ dport: 12, sport: 13 })),
      };
    }),
});
