import { defineProfile, Ether, IP, packet, UDP } from "autotrex";

/** The common simple IMIX: 7 × 64 B, 4 × 570 B, 1 × 1518 B frames (packet-rate shares). */
const MIX = [
  { frameSize: 64, rateShare: 7 },
  { frameSize: 570, rateShare: 4 },
  { frameSize: 1518, rateShare: 1 },
] as const;

export default defineProfile({
  description: "IMIX 7:4:1 of 64/570/1518-byte IPv4/UDP frames, 16.0.0.1:1025 > 48.0.0.1:12.",
  // One point per run: the frame size given to streams() is ignored; each stream fixes its own.
  mix: true,
  streams: () =>
    MIX.map(({ frameSize, rateShare }) => ({
      name: `imix-${frameSize}`,
      frameSize,
      rateShare,
      packet: packet(
        Ether(),
        IP({ src: "16.0.0.1", dst: "48.0.0.1" }),
        UDP({ dport: 12, sport: 1025 }),
      ),
    })),
});
