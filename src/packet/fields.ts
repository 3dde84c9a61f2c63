/**
 * Field descriptors: the one table per layer that the builder, `offsetOf` and the
 * dissector all read, like Scapy's `fields_desc`.
 */
import { formatIPv4, formatIPv6, formatMac, parseIPv4, parseIPv6, parseMac } from "./addr.ts";

export type FieldKind = "uint" | "mac" | "ipv4" | "ipv6" | "ipv6list" | "bytes";

/** What a user may pass for a field: numbers, flag/enum names, address text, bytes. */
export type FieldInput = number | string | Uint8Array | readonly string[];

/** A field's value once normalised: numbers for integers, raw bytes for everything else. */
export type FieldValue = number | Uint8Array;

/** Reads another field of the same layer as a number (0 when unset or not numeric). */
export type FieldGetter = (name: string) => number;

/** Brands a field with the type a builder takes for it; a type only, never set. */
declare const builderInput: unique symbol;

/**
 * One field. `N` (its name) and `In` (what a builder takes for it) exist for the types the
 * builders derive from a layer's field list (`FieldsOf`), so each field is written once.
 */
export interface FieldDef<N extends string = string, In extends FieldInput = FieldInput> {
  readonly name: N;
  readonly kind: FieldKind;
  /** Fixed width in bits; 0 for variable-length fields (address lists, bytes). */
  readonly bits: number;
  /** Default value; `null` means "filled in at build time when left unset" (Scapy's None). */
  readonly default: FieldInput | null;
  /** Shown in hex by the dissector (Scapy's X...Field). */
  readonly hex?: boolean;
  /** Flag names, least significant bit first (Scapy's FlagsField). */
  readonly flags?: readonly string[];
  /** Value names for enum-like fields (ARP op, ICMP type). */
  readonly names?: Readonly<Record<number, string>>;
  /** Present only when this holds (Scapy's ConditionalField). */
  readonly present?: (get: FieldGetter) => boolean;
  /** Dissector: byte length of a variable field from earlier fields and the bytes left. */
  readonly lengthFrom?: (get: FieldGetter, remaining: number) => number;
  readonly [builderInput]?: In;
}

/** What a builder takes for a field: `FieldDef<"ttl", number>` gives `number`. */
export type BuilderInputOf<F> = F extends FieldDef<string, infer In> ? In : never;

type UintExtra = Partial<Pick<FieldDef, "hex" | "present">>;
type Named =
  { readonly flags: readonly string[] } | { readonly names: Readonly<Record<number, string>> };

/** An integer field; one with flag or value names also takes those names ("SA", "is-at"). */
export function uint<N extends string>(
  name: N,
  bits: number,
  dflt: number | null,
  extra: UintExtra & Named,
): FieldDef<N, number | string>;
export function uint<N extends string>(
  name: N,
  bits: number,
  dflt: number | null,
  extra?: UintExtra,
): FieldDef<N, number>;
export function uint<N extends string>(
  name: N,
  bits: number,
  dflt: number | null,
  extra: UintExtra & Partial<Pick<FieldDef, "flags" | "names">> = {},
): FieldDef<N, number> {
  return { name, kind: "uint", bits, default: dflt, ...extra };
}

export function addr<N extends string>(
  name: N,
  kind: "mac" | "ipv4" | "ipv6",
  dflt: string | null,
): FieldDef<N, string> {
  return { name, kind, bits: kind === "mac" ? 48 : kind === "ipv4" ? 32 : 128, default: dflt };
}

type VariableInput = { ipv6list: readonly string[]; bytes: Uint8Array };

export function variable<N extends string, K extends "ipv6list" | "bytes">(
  name: N,
  kind: K,
  dflt: FieldInput,
  lengthFrom: FieldDef["lengthFrom"],
): FieldDef<N, VariableInput[K]> {
  return { name, kind, bits: 0, default: dflt, lengthFrom };
}

/** Parses flag names ("SA", "DF", "MF+DF") into a bit mask. */
export function parseFlags(field: FieldDef, text: string): number {
  const names = field.flags ?? [];
  const single = names.every((n) => n.length === 1);
  const tokens = single ? [...text.replace(/[+|, ]/g, "")] : text.split(/[+|, ]+/).filter(Boolean);
  let mask = 0;
  for (const t of tokens) {
    const bit = names.indexOf(t);
    if (bit < 0)
      throw new RangeError(
        `unknown flag "${t}" for field ${field.name} (known: ${names.join(",")})`,
      );
    mask |= 1 << bit;
  }
  return mask;
}

export function formatFlags(field: FieldDef, value: number): string {
  const names = field.flags ?? [];
  const set = names.filter((_, bit) => value & (1 << bit));
  // Unnamed high bits would be lost in the text: fall back to the number.
  if (value >>> names.length !== 0) return String(value);
  return set.join(names.every((n) => n.length === 1) ? "" : "+");
}

function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

/** Turns a user-given value into the field's normalised value, or throws naming the field. */
export function normalizeField(layerName: string, field: FieldDef, input: FieldInput): FieldValue {
  const where = `${layerName}.${field.name}`;
  switch (field.kind) {
    case "uint": {
      let n: number;
      if (typeof input === "number") n = input;
      else if (typeof input === "string") {
        const named = field.names && Object.entries(field.names).find(([, v]) => v === input);
        if (named) n = Number(named[0]);
        else if (field.flags) n = parseFlags(field, input);
        else if (/^(0x[0-9a-f]+|\d+)$/i.test(input)) n = Number(input);
        else throw new RangeError(`${where}: cannot use "${input}" as a number`);
      } else throw new TypeError(`${where}: expected a number`);
      const max = 2 ** field.bits;
      if (!Number.isInteger(n) || n < 0 || n >= max) {
        throw new RangeError(`${where}: ${n} does not fit in ${field.bits} bits`);
      }
      return n;
    }
    case "mac":
    case "ipv4":
    case "ipv6": {
      if (input instanceof Uint8Array) {
        if (input.length !== field.bits / 8)
          throw new RangeError(`${where}: expected ${field.bits / 8} bytes`);
        return input;
      }
      if (typeof input !== "string") throw new TypeError(`${where}: expected an address string`);
      try {
        return field.kind === "mac"
          ? parseMac(input)
          : field.kind === "ipv4"
            ? parseIPv4(input)
            : parseIPv6(input);
      } catch (err) {
        throw new RangeError(`${where}: ${(err as Error).message}`);
      }
    }
    case "ipv6list": {
      if (!Array.isArray(input)) throw new TypeError(`${where}: expected a list of IPv6 addresses`);
      const list = input as readonly string[];
      const out = new Uint8Array(16 * list.length);
      list.forEach((a, i) =>
        out.set(
          normalizeField(layerName, { ...field, kind: "ipv6", bits: 128 }, a) as Uint8Array,
          16 * i,
        ),
      );
      return out;
    }
    case "bytes":
      if (input instanceof Uint8Array) return input;
      if (typeof input === "string") return latin1(input);
      throw new TypeError(`${where}: expected a string or bytes`);
  }
}

/** Writes the low `width` bits of `value` big-endian at absolute bit position `bitPos`. */
export function writeBits(buf: Uint8Array, bitPos: number, width: number, value: number): void {
  if ((bitPos & 7) === 0 && (width & 7) === 0) {
    let byte = (bitPos >> 3) + (width >> 3) - 1;
    let v = value;
    for (let left = width; left > 0; left -= 8) {
      buf[byte--] = v & 0xff;
      v = Math.floor(v / 256);
    }
    return;
  }
  for (let i = 0; i < width; i++) {
    const bit = Math.floor(value / 2 ** (width - 1 - i)) & 1;
    const pos = bitPos + i;
    const mask = 0x80 >> (pos & 7);
    if (bit) buf[pos >> 3] |= mask;
    else buf[pos >> 3] &= ~mask;
  }
}

/** Reads `width` bits big-endian at absolute bit position `bitPos` as an unsigned number. */
export function readBits(buf: Uint8Array, bitPos: number, width: number): number {
  if ((bitPos & 7) === 0 && (width & 7) === 0) {
    let v = 0;
    const first = bitPos >> 3;
    for (let i = 0; i < width >> 3; i++) v = v * 256 + buf[first + i];
    return v;
  }
  let v = 0;
  for (let i = 0; i < width; i++) {
    const pos = bitPos + i;
    v = v * 2 + ((buf[pos >> 3] >> (7 - (pos & 7))) & 1);
  }
  return v;
}

/** Human text of a normalised value (dissector, summaries). */
export function formatField(field: FieldDef, value: FieldValue): string {
  if (typeof value === "number") {
    if (field.flags) return formatFlags(field, value) || "0";
    if (field.names?.[value] !== undefined) return field.names[value];
    return field.hex ? `0x${value.toString(16)}` : String(value);
  }
  switch (field.kind) {
    case "mac":
      return formatMac(value);
    case "ipv4":
      return formatIPv4(value);
    case "ipv6":
      return formatIPv6(value);
    case "ipv6list":
      return `[${ipv6List(value).join(", ")}]`;
    default:
      return bytesRepr(value);
  }
}

export function ipv6List(value: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i + 16 <= value.length; i += 16) out.push(formatIPv6(value, i));
  return out;
}

/** Python-like repr of bytes: printable ASCII as is, the rest as \xNN. */
export function bytesRepr(value: Uint8Array, max = 64): string {
  let s = "";
  const n = Math.min(value.length, max);
  for (let i = 0; i < n; i++) {
    const b = value[i];
    if (b === 0x27 || b === 0x5c) s += `\\${String.fromCharCode(b)}`;
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return `'${s}'${value.length > max ? `... (${value.length} bytes)` : ""}`;
}
