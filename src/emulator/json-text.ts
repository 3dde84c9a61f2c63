/**
 * JSON as TRex's server reads and writes it (jsoncpp 1.8.4 `Reader` / `FastWriter`).
 *
 * The reader keeps what JSON.parse throws away but TRex's error texts need: the byte offset
 * of every value (`error at offset: N`) and jsoncpp's number kinds (int / uint / double).
 * Like jsoncpp's default reader it accepts comments and ignores text after the first value.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** jsoncpp's value types, named as TRex names them in error messages. */
export type JsonKind =
  "null" | "int" | "uint" | "double" | "string" | "boolean" | "array" | "object";

export interface ValueMeta {
  /** Byte offset of the value's first character in the request text. */
  offset: number;
  kind: JsonKind;
  /** Exact value of an integer beyond 2^53 (e.g. the Python client's core_mask 2^64-1). */
  big?: bigint;
}

/** Offsets and kinds of the members of every object and array of a parsed document. */
const metaTable = new WeakMap<object, Map<string | number, ValueMeta>>();

/** Meta of `container[key]`, if the value was read from request text. */
export function memberMeta(container: object, key: string | number): ValueMeta | undefined {
  return metaTable.get(container)?.get(key);
}

export function kindOf(value: JsonValue | undefined): JsonKind {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "string") return "string";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "double";
  return Array.isArray(value) ? "array" : "object";
}

export class JsonSyntaxError extends Error {}

const MAX_DEPTH = 1000; // jsoncpp's stackLimit

const MAX_INT32 = 2147483647;
const TWO_64 = 18446744073709551616n;
const TWO_63 = 9223372036854775808n;

/** Parses request bytes like jsoncpp's Reader (comments allowed, trailing text ignored). */
export function parseJsonText(text: Buffer): JsonValue {
  const p = new Parser(text);
  p.skipSpace();
  const { value } = p.readValue(0);
  return value;
}

class Parser {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  fail(what: string): never {
    throw new JsonSyntaxError(`${what} at offset ${this.pos}`);
  }

  skipSpace(): void {
    const b = this.buf;
    for (;;) {
      const c = b[this.pos];
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
        this.pos++;
      } else if (c === 0x2f /* / */) {
        const n = b[this.pos + 1];
        if (n === 0x2f) {
          this.pos += 2;
          while (this.pos < b.length && b[this.pos] !== 0x0a && b[this.pos] !== 0x0d) this.pos++;
        } else if (n === 0x2a) {
          const end = b.indexOf("*/", this.pos + 2, "latin1");
          if (end < 0) this.fail("unterminated comment");
          this.pos = end + 2;
        } else {
          return;
        }
      } else {
        return;
      }
    }
  }

  readValue(depth: number): { value: JsonValue; meta: ValueMeta } {
    if (depth >= MAX_DEPTH) this.fail("nesting too deep");
    const start = this.pos;
    const c = this.buf[this.pos];
    if (c === 0x7b)
      return { value: this.readObject(depth), meta: { offset: start, kind: "object" } };
    if (c === 0x5b) return { value: this.readArray(depth), meta: { offset: start, kind: "array" } };
    if (c === 0x22) return { value: this.readString(), meta: { offset: start, kind: "string" } };
    if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) return this.readNumber();
    for (const [word, value] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (this.buf.toString("latin1", this.pos, this.pos + word.length) === word) {
        this.pos += word.length;
        return { value, meta: { offset: start, kind: kindOf(value) } };
      }
    }
    this.fail("value, object or array expected");
  }

  readObject(depth: number): JsonObject {
    const obj: JsonObject = {};
    const metas = new Map<string | number, ValueMeta>();
    metaTable.set(obj, metas);
    this.pos++;
    this.skipSpace();
    if (this.buf[this.pos] === 0x7d) {
      this.pos++;
      return obj;
    }
    for (;;) {
      this.skipSpace();
      if (this.buf[this.pos] !== 0x22) this.fail("missing '}' or object member name");
      const key = this.readString();
      this.skipSpace();
      if (this.buf[this.pos] !== 0x3a) this.fail("missing ':' after object member name");
      this.pos++;
      this.skipSpace();
      const { value, meta } = this.readValue(depth + 1);
      // Own data property even for "__proto__" (plain assignment would set the prototype);
      // the last duplicate wins, as in jsoncpp.
      if (key === "__proto__") {
        Object.defineProperty(obj, key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else {
        obj[key] = value;
      }
      metas.set(key, meta);
      this.skipSpace();
      const c = this.buf[this.pos];
      this.pos++;
      if (c === 0x7d) return obj;
      if (c !== 0x2c) this.fail("missing ',' or '}' in object declaration");
    }
  }

  readArray(depth: number): JsonValue[] {
    const arr: JsonValue[] = [];
    const metas = new Map<string | number, ValueMeta>();
    metaTable.set(arr, metas);
    this.pos++;
    this.skipSpace();
    if (this.buf[this.pos] === 0x5d) {
      this.pos++;
      return arr;
    }
    for (;;) {
      this.skipSpace();
      const { value, meta } = this.readValue(depth + 1);
      metas.set(arr.length, meta);
      arr.push(value);
      this.skipSpace();
      const c = this.buf[this.pos];
      this.pos++;
      if (c === 0x5d) return arr;
      if (c !== 0x2c) this.fail("missing ',' or ']' in array declaration");
    }
  }

  readString(): string {
    const b = this.buf;
    this.pos++; // opening quote
    const parts: Buffer[] = [];
    let runStart = this.pos;
    for (;;) {
      if (this.pos >= b.length) this.fail("missing '\"' at end of string");
      const c = b[this.pos];
      if (c === 0x22) {
        const end = this.pos;
        this.pos++;
        // Most strings have no escapes: decode the run in place.
        if (parts.length === 0) return b.toString("utf8", runStart, end);
        parts.push(b.subarray(runStart, end));
        return Buffer.concat(parts).toString("utf8");
      }
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      parts.push(b.subarray(runStart, this.pos));
      const e = b[this.pos + 1];
      this.pos += 2;
      const simple: Record<number, string> = {
        0x22: '"',
        0x2f: "/",
        0x5c: "\\",
        0x62: "\b",
        0x66: "\f",
        0x6e: "\n",
        0x72: "\r",
        0x74: "\t",
      };
      if (e !== undefined && simple[e] !== undefined) {
        parts.push(Buffer.from(simple[e], "utf8"));
      } else if (e === 0x75) {
        let code = this.readHex4();
        if (code >= 0xd800 && code <= 0xdbff) {
          if (b[this.pos] !== 0x5c || b[this.pos + 1] !== 0x75) {
            this.fail(
              "expecting another \\u token to begin the second half of a unicode surrogate pair",
            );
          }
          this.pos += 2;
          const low = this.readHex4();
          if (low < 0xdc00 || low > 0xdfff) this.fail("bad unicode surrogate pair");
          code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        }
        parts.push(Buffer.from(String.fromCodePoint(code), "utf8"));
      } else {
        this.fail("bad escape sequence in string");
      }
      runStart = this.pos;
    }
  }

  readHex4(): number {
    const hex = this.buf.toString("latin1", this.pos, this.pos + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("bad unicode escape sequence in string");
    this.pos += 4;
    return parseInt(hex, 16);
  }

  /** jsoncpp's number token: '-'? digits ('.' digits)? ([eE] [+-]? digits)?, loosely. */
  readNumber(): { value: number; meta: ValueMeta } {
    const b = this.buf;
    const start = this.pos;
    if (b[this.pos] === 0x2d) this.pos++;
    const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
    while (isDigit(b[this.pos])) this.pos++;
    let isDouble = false;
    if (b[this.pos] === 0x2e) {
      isDouble = true;
      this.pos++;
      while (isDigit(b[this.pos])) this.pos++;
    }
    if (b[this.pos] === 0x65 || b[this.pos] === 0x45) {
      isDouble = true;
      this.pos++;
      if (b[this.pos] === 0x2b || b[this.pos] === 0x2d) this.pos++;
      if (!isDigit(b[this.pos])) this.fail("bad number");
      while (isDigit(b[this.pos])) this.pos++;
    }
    const text = b.toString("latin1", start, this.pos);
    const negative = text.startsWith("-");
    const digits = negative ? text.slice(1) : text;
    if (!isDouble && digits === "") {
      // A lone '-' reads as 0 in jsoncpp.
      return { value: 0, meta: { offset: start, kind: "int" } };
    }
    if (!isDouble) {
      const big = BigInt(digits);
      if (negative ? big <= TWO_63 : big < TWO_64) {
        const exact = negative ? -big : big;
        const value = Number(exact);
        const kind: JsonKind = negative || big <= BigInt(MAX_INT32) ? "int" : "uint";
        const meta: ValueMeta = { offset: start, kind };
        if (!Number.isSafeInteger(value)) meta.big = exact;
        return { value: Object.is(value, -0) ? 0 : value, meta };
      }
    }
    const value = Number(text);
    if (Number.isNaN(value)) this.fail("bad number");
    return { value, meta: { offset: start, kind: "double" } };
  }
}

/**
 * Serializes like jsoncpp's FastWriter: compact, object keys sorted, a trailing newline,
 * non-finite numbers as ±1e+9999.
 */
export function writeJsonText(value: unknown): string {
  return `${write(value)}\n`;
}

function write(value: unknown): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (Number.isNaN(value)) return "null";
      if (!Number.isFinite(value)) return value > 0 ? "1e+9999" : "-1e+9999";
      return JSON.stringify(value);
    case "bigint":
      return value.toString();
    case "string":
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) return `[${value.map(write).join(",")}]`;
      const keys = Object.keys(value).sort();
      const rec = value as Record<string, unknown>;
      return `{${keys
        .filter((k) => rec[k] !== undefined)
        .map((k) => `${JSON.stringify(k)}:${write(rec[k])}`)
        .join(",")}}`;
    }
    default:
      return "null";
  }
}
