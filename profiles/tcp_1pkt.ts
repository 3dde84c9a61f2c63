import { defineProfile, Ether, IP, packet, TCP } from "autotrex";

export default defineProfile({
  description: "One IPv4/TCP stream, 16.0.0.1:1025 > 48.0.0.1:12.",
  streams: () => [
    {
      name: "tcp",
      packet: packet(
        Ether(),
        IP({ src: "16.0.0.1", dst: "48.0.0.1" }),
        TCP({ dport: 12, sport: 1025 }),
      ),
    },
  ],
});
