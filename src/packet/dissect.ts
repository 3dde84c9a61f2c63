/**
 * Decodes packet bytes into layers with the same field tables the builder uses, for
 * `simulate` listings, summaries and tests.
 */
import { nextLayer } from "./bindings.ts";
import { formatField, ipv6List, readBits, type FieldGetter } from "./fields.ts";
import {
  EtherDef,
  PaddingDef,
  RawDef,
  layerDefByName,
  type LayerDef,
  type LayerView,
} from "./layers.ts";

export interface DissectedField {
  readonly name: string;
  /** Numbers for integer fields, text for addresses, a list for SRH segments, bytes for payloads. */
  readonly value: number | string | readonly string[] | Uint8Array;
  /** The value as shown ("0x800", "S", "16.0.0.1"). */
  readonly text: string;
  /** Byte offset in the packet and number of bytes touched. */
  readonly offset: number;
  readonly size: number;
  readonly bitOffset?: number;
  readonly bitSize?: number;
}

export interface DissectedLayer {
  readonly name: string;
  /** Byte offset of the layer in the packet and its header length (Raw: its whole length). */
  readonly offset: number;
  readonly length: number;
  readonly fields: readonly DissectedField[];
  /** This layer's part of the one-line summary ("IPv4 16.0.0.1 > 48.0.0.1"). */
  readonly summary: string;
}

interface Decoded {
  layer: DissectedLayer;
  get: FieldGetter;
  headerLength: number;
}

/** Decodes one layer at `start`; undefined when its fixed fields do not fit before `end`. */
function decodeLayer(
  def: LayerDef,
  bytes: Uint8Array,
  start: number,
  end: number,
): Decoded | undefined {
  const nums = new Map<string, number>();
  const get: FieldGetter = (name) => nums.get(name) ?? 0;
  const fields: DissectedField[] = [];
  const raw = new Map<string, Uint8Array>();
  let bit = start * 8;
  for (const f of def.fields) {
    if (f.present && !f.present(get)) continue;
    let width = f.bits;
    if (width === 0) {
      const remaining = end - bit / 8;
      const want = f.lengthFrom ? f.lengthFrom(get, remaining) : 0;
      if (want > remaining || want < 0) return undefined;
      width = want * 8;
    }
    if (bit + width > end * 8) return undefined;
    const offset = bit >> 3;
    const size = Math.ceil((bit + width) / 8) - offset;
    const aligned = bit % 8 === 0 && width % 8 === 0;
    const pos = aligned ? {} : { bitOffset: bit % 8, bitSize: width };
    if (f.kind === "uint") {
      const v = readBits(bytes, bit, width);
      nums.set(f.name, v);
      fields.push({ name: f.name, value: v, text: formatField(f, v), offset, size, ...pos });
    } else {
      const v = bytes.slice(offset, offset + size);
      raw.set(f.name, v);
      const text = formatField(f, v);
      const value = f.kind === "bytes" ? v : f.kind === "ipv6list" ? ipv6List(v) : text;
      fields.push({ name: f.name, value, text, offset, size });
    }
    bit += width;
  }
  const headerLength = bit / 8 - start;
  const view: LayerView = {
    num: get,
    bytes: (name) => raw.get(name) ?? new Uint8Array(0),
    text: (name) => fields.find((x) => x.name === name)?.text ?? "",
    headerLength,
    totalLength: end - start,
  };
  return {
    layer: {
      name: def.name,
      offset: start,
      length: headerLength,
      fields,
      summary: def.summary(view),
    },
    get,
    headerLength,
  };
}

/**
 * Decodes the layers the binding table (bindings.ts) says follow each other, from `first`;
 * whatever no binding names is Raw, and bytes past a declared IP/UDP length are Padding.
 * `first` names the outermost layer (default Ether).
 */
export function dissect(bytes: Uint8Array, first: string | LayerDef = EtherDef): DissectedLayer[] {
  let def: LayerDef | undefined = typeof first === "string" ? layerDefByName(first) : first;
  if (!def) throw new RangeError(`dissect: unknown layer "${String(first)}"`);
  const out: DissectedLayer[] = [];
  let pos = 0;
  let end = bytes.length;
  while (pos < end && def && def !== RawDef) {
    const d = decodeLayer(def, bytes, pos, end);
    if (!d) break;
    out.push(d.layer);
    const declared = def.payloadLength?.(d.get, d.headerLength);
    pos += d.headerLength;
    if (declared !== undefined && declared >= 0 && pos + declared <= end) end = pos + declared;
    def = nextLayer(def, d.get, bytes.subarray(pos, end));
  }
  if (pos < end) out.push(decodeLayer(RawDef, bytes, pos, end)!.layer);
  if (end < bytes.length) out.push(decodeLayer(PaddingDef, bytes, end, bytes.length)!.layer);
  return out;
}

export function summarizeFrom(bytes: Uint8Array, first: string | LayerDef): string {
  return dissect(bytes, first)
    .map((l) => l.summary)
    .join(" / ");
}

/** The one-line summary of an Ethernet frame: "Ether / IPv4 16.0.0.1 > 48.0.0.1 / TCP 1025 > 12 S / Raw 6". */
export function summarize(bytes: Uint8Array): string {
  return summarizeFrom(bytes, EtherDef);
}

/** Scapy hexdump() style: offset, 16 hex bytes, printable ASCII. */
export function hexdump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const row = bytes.subarray(i, i + 16);
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, "0")).join(" ");
    const ascii = Array.from(row, (b) =>
      b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".",
    ).join("");
    lines.push(`${i.toString(16).padStart(4, "0")}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join("\n");
}

/** Layer-by-layer listing like Scapy's show(), optionally followed by a hexdump. */
export function formatDissection(
  bytes: Uint8Array,
  opts: { hex?: boolean; first?: string } = {},
): string {
  const lines: string[] = [];
  for (const layer of dissect(bytes, opts.first ?? EtherDef)) {
    lines.push(`###[ ${layer.name} ]###`);
    for (const f of layer.fields) lines.push(`  ${f.name.padEnd(10)} = ${f.text}`);
  }
  if (opts.hex) lines.push("", hexdump(bytes));
  return lines.join("\n");
}

/**
 * Bytes after the last header the dissector knows (the payload a profile pads with): where
 * TRex writes a latency stream's signature.
 */
export function payloadBytes(bytes: Uint8Array): number {
  const last = dissect(bytes).at(-1);
  if (!last) return 0;
  return last.name === "Raw" ? last.length : bytes.length - (last.offset + last.length);
}
