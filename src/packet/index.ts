/** The packet layer: Scapy-exact layers, field offsets, dissector, pcap files, checksums. */
export * from "./builders.ts";
export { Layer, Packet, packet, FrameTooSmallError, type FieldOffset } from "./packet.ts";
export {
  dissect,
  payloadBytes,
  summarize,
  formatDissection,
  hexdump,
  type DissectedLayer,
  type DissectedField,
} from "./dissect.ts";
export {
  PcapWriter,
  pcapBytes,
  parsePcap,
  pcapFileHeader,
  type PcapRecord,
  type ParsedPcap,
  PCAP_MAGIC,
  PCAP_SNAPLEN,
  LINKTYPE_ETHERNET,
} from "./pcap.ts";
export { internetChecksum, onesComplementSum } from "./checksum.ts";
export { DEFAULT_SRC_MAC, DEFAULT_DST_MAC, layerDefByName, type LayerDef } from "./layers.ts";
export { parseMac, formatMac, parseIPv4, formatIPv4, parseIPv6, formatIPv6 } from "./addr.ts";
export type { FieldInput, FieldValue } from "./fields.ts";
