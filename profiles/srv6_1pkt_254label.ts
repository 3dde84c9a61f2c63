import { defineProfile, Ether, IP, IPv6, packet, SRH, TCP } from "autotrex";

export default defineProfile({
  description:
    "254 SRv6 streams with outer IPv6 flow label 0 to 253, each carrying IPv4/TCP 16.0.0.1 > 48.0.0.1.",
  streams: () =>
    Array.from({ length: 254 }, (_, label) => ({
      name: `fl-${label}`,
      packet: packet(
        Ether(),
        IPv6({ src: "aa::1", dst: "bb::1", fl: label }),
        SRH({ addresses: ["bb::1"] }),
        IP({ src: "16.0.0.1", dst: "48.0.0.1" }),
        TCP({ dport: 12, sport: 13 }),
      ),
    })),
});
