import { defineProfile, Ether, IP, packet, UDP } from "autotrex";

export default defineProfile({
  description: "One IPv4/UDP stream, 16.0.0.1:1025 > 48.0.0.1:12.",
  streams: () => [
    {
      name: "udp",
      packet: packet(
        Ether(),
        IP({ src: "16.0.0.1", dst: "48.0.0.1" }),
        UDP({ dport: 12, sport: 1025 }),
      ),
    },
  ],
});
