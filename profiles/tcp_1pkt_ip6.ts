import { defineProfile, Ether, IPv6, packet, TCP } from "autotrex";

export default defineProfile({
  description: "One IPv6/TCP stream, [aa::1]:1025 > [bb::1]:12.",
  streams: () => [
    {
      name: "tcp6",
      packet: packet(
        Ether(),
        IPv6({ src: "aa::1", dst: "bb::1" }),
        TCP({ dport: 12, sport: 1025 }),
      ),
    },
  ],
});
