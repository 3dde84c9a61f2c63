/**
 * Reply parsing that keeps 64-bit counters exact. TRex writes u64 counters as plain integers
 * (obytes passes 2^53 after days of uptime) and JSON.parse would round them. A regex pre-pass
 * quotes every integer of 16 or more digits outside strings as a tagged string; the typed
 * layer turns tagged strings back into bigint (counters) or number (everything else).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Prefix of a quoted big integer; a JSON text cannot produce it by accident (raw NUL). */
const BIG_TAG = "\u0000int:";

// A string literal (skipped as is) or an integer of ≥ 16 digits standing alone as a value.
const BIG_INT = /"(?:[^"\\]|\\.)*"|(?<![\w.+-])-?\d{16,}(?![\d.eE])/g;

export function parseLossless(text: string): Json {
  if (!/\d{16}/.test(text)) return JSON.parse(text) as Json;
  const quoted = text.replace(BIG_INT, (m) => (m.startsWith('"') ? m : `"\\u0000int:${m}"`));
  return JSON.parse(quoted) as Json;
}

/** A value read by parseLossless as an exact unsigned/signed integer. */
export function toBigInt(v: Json | undefined, what: string): bigint {
  if (typeof v === "string" && v.startsWith(BIG_TAG)) return BigInt(v.slice(BIG_TAG.length));
  if (typeof v === "number" && Number.isFinite(v)) {
    // TRex writes counters as integers; a double here is a rounded value, keep what we can.
    return BigInt(Math.round(v));
  }
  throw new TypeError(`${what}: expected an integer, got ${describe(v)}`);
}

/** A numeric value as a JS number (tagged big integers are rounded, as JSON.parse would). */
export function toNumber(v: Json | undefined, what: string): number {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.startsWith(BIG_TAG)) return Number(v.slice(BIG_TAG.length));
  throw new TypeError(`${what}: expected a number, got ${describe(v)}`);
}

export function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function describe(v: Json | undefined): string {
  if (v === undefined) return "nothing";
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
