/**
 * Packets as stacks of layers (Scapy's a/b/c), built with every automatic field filled,
 * with field offsets by name for the field engine.
 */
import { normalizeField, writeBits, type FieldInput, type FieldValue } from "./fields.ts";
import { bindingFor } from "./bindings.ts";
import { layerDefByName, RawDef, type BuiltLayer, type LayerDef } from "./layers.ts";
import { dissect, summarizeFrom } from "./dissect.ts";

/** One layer: its definition and the field values given explicitly (the rest are defaults). */
export class Layer {
  readonly def: LayerDef;
  /** Normalised user values by field index; undefined = not given. */
  readonly given: readonly (FieldValue | undefined)[];

  constructor(def: LayerDef, fields: Readonly<Record<string, FieldInput | undefined>> = {}) {
    this.def = def;
    const given: (FieldValue | undefined)[] = new Array(def.fields.length).fill(undefined);
    for (const [key, input] of Object.entries(fields)) {
      if (input === undefined) continue;
      const i = fieldIndexOf(def, key);
      if (i === undefined) {
        throw new RangeError(
          `${def.name} has no field "${key}" (fields: ${def.fields.map((f) => f.name).join(", ")})`,
        );
      }
      given[i] = normalizeField(def.name, def.fields[i], input);
    }
    this.given = given;
  }

  get name(): string {
    return this.def.name;
  }
}

function fieldIndexOf(def: LayerDef, name: string): number | undefined {
  return def.fieldIndex.get(name) ?? def.fieldIndex.get(def.fieldAliases?.[name] ?? "");
}

/** The layers alone are longer than the packet size asked for. */
export class FrameTooSmallError extends Error {
  readonly headerBytes: number;
  readonly availableBytes: number;

  constructor(headerBytes: number, availableBytes: number) {
    super(
      `headers need ${headerBytes} bytes but the packet may only be ${availableBytes} bytes long`,
    );
    this.name = "FrameTooSmallError";
    this.headerBytes = headerBytes;
    this.availableBytes = availableBytes;
  }
}

export interface FieldOffset {
  /** Byte offset in the packet of the first byte the field (or layer) occupies. */
  offset: number;
  /** Number of bytes the field touches (a layer: its header length). */
  size: number;
  /** For fields not on byte boundaries: first bit within `offset`'s byte, counted from the MSB. */
  bitOffset?: number;
  /** For fields not on byte boundaries: width in bits. */
  bitSize?: number;
}

interface Built {
  readonly buf: Buffer;
  readonly layers: readonly BuiltLayer[];
}

function resolveValues(layer: Layer, upper: Layer | undefined): (FieldValue | null)[] {
  const def = layer.def;
  const values: (FieldValue | null)[] = defaultValues(def).slice();
  const binding = upper && bindingFor(def, upper.def);
  if (binding) {
    for (const key in binding) values[def.fieldIndex.get(key) as number] = binding[key];
  }
  const given = layer.given;
  for (let i = 0; i < given.length; i++) {
    const g = given[i];
    if (g !== undefined) values[i] = g;
  }
  return values;
}

const defaultsCache = new Map<LayerDef, (FieldValue | null)[]>();
function defaultValues(def: LayerDef): (FieldValue | null)[] {
  let d = defaultsCache.get(def);
  if (!d) {
    d = def.fields.map((f) => (f.default === null ? null : normalizeField(def.name, f, f.default)));
    defaultsCache.set(def, d);
  }
  return d;
}

/** Lays out one layer: where each present field starts and how long the header is. */
function layout(
  def: LayerDef,
  values: (FieldValue | null)[],
): { bitPos: Int32Array; bitLen: Int32Array; headerLength: number } {
  const n = def.fields.length;
  const bitPos = new Int32Array(n);
  const bitLen = new Int32Array(n);
  const get = (name: string): number => {
    const v = values[def.fieldIndex.get(name) as number];
    return typeof v === "number" ? v : 0;
  };
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const f = def.fields[i];
    if (f.present && !f.present(get)) {
      bitPos[i] = -1;
      continue;
    }
    const v = values[i];
    const len = f.bits || (v instanceof Uint8Array ? v.length * 8 : 0);
    bitPos[i] = pos;
    bitLen[i] = len;
    pos += len;
  }
  if (pos % 8 !== 0) throw new Error(`internal: ${def.name} header is not a whole number of bytes`);
  const headerLength = pos / 8;
  const multiple = def.headerMultipleOf;
  if (multiple && headerLength % multiple.bytes !== 0)
    throw new RangeError(
      `${def.name}.${multiple.field} must be a multiple of ${multiple.bytes} bytes`,
    );
  return { bitPos, bitLen, headerLength };
}

/** Length of the built packet without writing it (layout only). */
function headerBytes(layers: readonly Layer[]): number {
  let total = 0;
  for (let i = 0; i < layers.length; i++)
    total += layout(layers[i].def, resolveValues(layers[i], layers[i + 1])).headerLength;
  return total;
}

function build(layers: readonly Layer[]): Built {
  const built: BuiltLayer[] = [];
  let offset = 0;
  for (let i = 0; i < layers.length; i++) {
    const values = resolveValues(layers[i], layers[i + 1]);
    const { bitPos, bitLen, headerLength } = layout(layers[i].def, values);
    built.push({ def: layers[i].def, values, bitPos, bitLen, start: offset, headerLength });
    offset += headerLength;
  }
  const buf = Buffer.alloc(offset);
  for (const l of built) {
    const base = l.start * 8;
    const fields = l.def.fields;
    for (let i = 0; i < fields.length; i++) {
      const v = l.values[i];
      if (l.bitPos[i] < 0 || v === null) continue;
      if (typeof v === "number") writeBits(buf, base + l.bitPos[i], fields[i].bits, v);
      else buf.set(v, l.start + (l.bitPos[i] >> 3));
    }
  }
  // Innermost first, as Scapy's post_build sees its payload already final.
  for (let i = built.length - 1; i >= 0; i--)
    built[i].def.postBuild?.({ buf, layers: built, index: i });
  return { buf, layers: built };
}

const REF = /^([A-Za-z0-9_.]+?)(?::(\d+))?(?:\.([A-Za-z_][A-Za-z0-9_]*))?$/;

export class Packet {
  readonly layers: readonly Layer[];
  #built: Built | undefined;

  constructor(layers: readonly Layer[]) {
    if (layers.length === 0) throw new RangeError("a packet needs at least one layer");
    this.layers = Object.freeze(layers.slice());
  }

  #build(): Built {
    return (this.#built ??= build(this.layers));
  }

  /**
   * Decodes bytes into a packet whose layers carry every field explicitly, so `bytes()` gives
   * back the same bytes (trailing Padding becomes Raw). `first` names the outermost layer.
   */
  static fromBytes(bytes: Uint8Array, first = "Ether"): Packet {
    const layers = dissect(bytes, first).map((d) => {
      const def = layerDefByName(d.name === "Padding" ? "Raw" : d.name) as LayerDef;
      const fields: Record<string, FieldInput> = {};
      for (const f of d.fields) fields[f.name] = f.value;
      return new Layer(def, fields);
    });
    return new Packet(layers);
  }

  /** The packet bytes with every automatic field filled (a fresh copy each call). */
  bytes(): Buffer {
    return Buffer.from(this.#build().buf);
  }

  get length(): number {
    return this.#build().buf.length;
  }

  /**
   * Offset and size of a field or layer by name: "IPv4.src", "TCP.sport", "IPv6.fl",
   * "IPv4" (the layer's header), "IPv4:1.src" (the second IPv4). Scapy names work too
   * ("IP.src", "IP:1.dst", "IPv6ExtHdrSegmentRouting.addresses").
   */
  offsetOf(ref: string): FieldOffset {
    const m = REF.exec(ref.trim());
    if (!m)
      throw new RangeError(
        `offsetOf("${ref}"): expected "Layer.field", "Layer:n.field" or "Layer"`,
      );
    const [, layerName, nth, fieldName] = m;
    const def = layerDefByName(layerName);
    if (!def) throw new RangeError(`offsetOf("${ref}"): unknown layer "${layerName}"`);
    const want = nth === undefined ? 0 : Number(nth);
    const { layers } = this.#build();
    const matches = layers.filter((l) => l.def === def);
    const layer = matches[want];
    if (!layer) {
      throw new RangeError(
        `offsetOf("${ref}"): the packet has ${matches.length} ${def.name} layer(s) (${this.layers.map((l) => l.name).join(" / ")})`,
      );
    }
    if (fieldName === undefined) return { offset: layer.start, size: layer.headerLength };
    const i = fieldIndexOf(def, fieldName);
    if (i === undefined) {
      throw new RangeError(
        `offsetOf("${ref}"): ${def.name} has no field "${fieldName}" (fields: ${def.fields.map((f) => f.name).join(", ")})`,
      );
    }
    if (layer.bitPos[i] < 0)
      throw new RangeError(
        `offsetOf("${ref}"): ${def.name}.${fieldName} is not present in this packet`,
      );
    const bitStart = layer.start * 8 + layer.bitPos[i];
    const bitSize = layer.bitLen[i];
    const offset = bitStart >> 3;
    const size = Math.ceil((bitStart + bitSize) / 8) - offset;
    if (bitStart % 8 === 0 && bitSize % 8 === 0) return { offset, size };
    return { offset, size, bitOffset: bitStart % 8, bitSize };
  }

  /**
   * Appends Raw filler ('x' = 0x78 by default, as the original tool's payload_size*'x') so
   * the packet is exactly `totalBytes` long. Throws FrameTooSmallError when the layers alone
   * are longer.
   */
  padTo(totalBytes: number, fill = "x"): Packet {
    if (!Number.isInteger(totalBytes) || totalBytes < 0)
      throw new RangeError(`padTo(${totalBytes}): not a byte count`);
    const have = this.#built ? this.#built.buf.length : headerBytes(this.layers);
    if (have > totalBytes) throw new FrameTooSmallError(have, totalBytes);
    if (have === totalBytes) return this;
    if (fill.length === 0) throw new RangeError("padTo: fill must not be empty");
    const pattern = Buffer.from(fill, "latin1");
    const filler = Buffer.alloc(totalBytes - have, pattern);
    return new Packet([...this.layers, new Layer(RawDef, { load: filler })]);
  }

  /** One line, e.g. "Ether / IPv4 16.0.0.1 > 48.0.0.1 / TCP 1025 > 12 S / Raw 6". */
  summary(): string {
    return summarizeFrom(this.#build().buf, this.layers[0].def);
  }

  toString(): string {
    return this.summary();
  }
}

/** Stacks layers into a packet, like Scapy's `a/b/c`. */
export function packet(...layers: Layer[]): Packet {
  return new Packet(layers);
}
