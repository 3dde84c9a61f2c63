/**
 * TRex's parameter checks (src/rpc-server/trex_rpc_cmd.cpp) with their exact error texts:
 * a missing, mistyped or out-of-range parameter is a -32602 whose `specific_err` names the
 * field and, for a wrong type, the byte offset of the value in the request text.
 */
import { DEFAULT_PROFILE_ID, RPC_TRY_AGAIN, RPC_WORK_IN_PROGRESS } from "../trex/protocol.ts";
import { kindOf, memberMeta, type JsonObject, type JsonValue } from "./json-text.ts";

export const RPC_ERR = {
  parse: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
  execute: -32000,
  tryAgain: RPC_TRY_AGAIN,
  workInProgress: RPC_WORK_IN_PROGRESS,
  noResults: -32003,
} as const;

/** A JSON-RPC error reply; `specificErr` is TRex's `specific_err` member. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly specificErr?: string,
  ) {
    super(message);
    this.name = "RpcError";
  }
}

/** -32602 Bad parameters for method (TREX_RPC_CMD_PARSE_ERR). */
export function parseErr(specific: string): RpcError {
  return new RpcError(RPC_ERR.invalidParams, "Bad parameters for method", specific);
}

/** -32000 Failed To Execute Method (TREX_RPC_CMD_EXECUTE_ERR). */
export function executeErr(specific: string): RpcError {
  return new RpcError(RPC_ERR.execute, "Failed To Execute Method", specific);
}

/** A jsoncpp exception inside a handler: -32700 Json Error. */
export function jsonErr(what: string): RpcError {
  return new RpcError(RPC_ERR.parse, "Json Error", what);
}

export type FieldType =
  | "byte"
  | "uint16"
  | "uint32"
  | "uint64"
  | "int"
  | "double"
  | "unsigned double"
  | "bool"
  | "string"
  | "object"
  | "array";

const TWO_64 = 18446744073709551616;

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function member(parent: JsonObject, name: string): JsonValue | undefined {
  return Object.hasOwn(parent, name) ? parent[name] : undefined;
}

/** jsoncpp's isUInt64 / isInt / isDouble for a value of the given kind. */
function typeOk(
  value: JsonValue,
  kind: string,
  type: FieldType,
): { ok: true } | { ok: false; range?: string } {
  const num = typeof value === "number" ? value : NaN;
  const isNumber = kind === "int" || kind === "uint" || kind === "double";
  const isUInt64 =
    (kind === "int" && num >= 0) ||
    kind === "uint" ||
    (kind === "double" && num >= 0 && num < TWO_64 && Number.isInteger(num));
  const limits: Partial<Record<FieldType, [number, string]>> = {
    byte: [0xff, "uint8"],
    uint16: [0xffff, "uint16"],
    uint32: [0xffffffff, "uint32"],
  };
  switch (type) {
    case "byte":
    case "uint16":
    case "uint32": {
      if (!isUInt64) return { ok: false };
      const [max, name] = limits[type]!;
      return num > max ? { ok: false, range: `has size bigger than ${name}.` } : { ok: true };
    }
    case "uint64":
      return isUInt64 ? { ok: true } : { ok: false };
    case "int":
      return (kind === "int" || kind === "double") &&
        Number.isInteger(num) &&
        num >= -2147483648 &&
        num <= 2147483647
        ? { ok: true }
        : { ok: false };
    case "double":
      return isNumber ? { ok: true } : { ok: false };
    case "unsigned double":
      if (!isNumber) return { ok: false };
      return num < 0 ? { ok: false, range: "has negative value." } : { ok: true };
    case "bool":
      return kind === "boolean" ? { ok: true } : { ok: false };
    case "string":
      return kind === "string" ? { ok: true } : { ok: false };
    case "object":
      return kind === "object" ? { ok: true } : { ok: false };
    case "array":
      return kind === "array" ? { ok: true } : { ok: false };
  }
}

function checkCommon(
  field: JsonValue | undefined,
  meta: { offset: number; kind: string } | undefined,
  name: string,
  type: FieldType,
): JsonValue {
  if (field === null || field === undefined) throw parseErr(`field '${name}' value is null`);
  const kind = meta?.kind ?? kindOf(field);
  const rc = typeOk(field, kind, type);
  if (!rc.ok) {
    const specific = rc.range ?? `is '${kind}', expecting '${type}'`;
    throw parseErr(`error at offset: ${meta?.offset ?? 0} - '${name}' ${specific}`);
  }
  return field;
}

/** check_field_type for a named member: the parent must be an object. */
export function checkField(
  parent: JsonValue | undefined,
  name: string,
  type: FieldType,
): JsonValue {
  if (parent === null || parent === undefined) throw parseErr(`field '${name}' is missing`);
  if (!isObject(parent)) throw parseErr(`parent field '${name}' is missing`);
  return checkCommon(member(parent, name), memberMeta(parent, name), name, type);
}

/** check_field_type for an array element (TRex numbers elements from 1). */
export function checkElement(parent: JsonValue[], index: number, type: FieldType): JsonValue {
  return checkCommon(
    parent[index],
    memberMeta(parent, index),
    `array element: ${index + 1} `,
    type,
  );
}

/** True when an optional parameter is absent or null (TRex then takes the default). */
export function isAbsent(parent: JsonValue | undefined, name: string): boolean {
  if (!isObject(parent)) return true;
  const v = member(parent, name);
  return v === null || v === undefined;
}

export const parseNumber = (p: JsonValue | undefined, name: string, type: FieldType): number =>
  checkField(p, name, type) as number;
export const parseString = (p: JsonValue | undefined, name: string): string =>
  checkField(p, name, "string") as string;
export const parseBool = (p: JsonValue | undefined, name: string): boolean =>
  checkField(p, name, "bool") as boolean;
export const parseObject = (p: JsonValue | undefined, name: string): JsonObject =>
  checkField(p, name, "object") as JsonObject;
export const parseArray = (p: JsonValue | undefined, name: string): JsonValue[] =>
  checkField(p, name, "array") as JsonValue[];

export function optNumber(
  p: JsonValue | undefined,
  name: string,
  type: FieldType,
  def: number,
): number {
  return isAbsent(p, name) ? def : parseNumber(p, name, type);
}

export function optBool(p: JsonValue | undefined, name: string, def: boolean): boolean {
  return isAbsent(p, name) ? def : parseBool(p, name);
}

/** parse_choice: exact equality with one of the listed strings. */
export function parseChoice<T extends string>(
  p: JsonValue | undefined,
  name: string,
  choices: readonly T[],
): T {
  const field = isObject(p) ? member(p, name) : undefined;
  if (field === null || field === undefined) throw parseErr(`field '${name}' is missing`);
  const hit = choices.find((c) => c === field);
  if (hit !== undefined) return hit;
  throw parseErr(`field '${name}' can only be one of [${choices.map((c) => `'${c}'`).join(" ,")}]`);
}

/** jsoncpp's Value::asString(), which throws for arrays and objects. */
export function asString(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number")
    return Number.isInteger(value) && Math.abs(value) < 2 ** 63
      ? BigInt(value).toString()
      : formatG(value, 17, true);
  throw jsonErr("Type is not convertible to string");
}

/** parse_profile: absent/null → default, otherwise asString(). */
export function parseProfile(p: JsonValue | undefined, def = DEFAULT_PROFILE_ID): string {
  if (isAbsent(p, "profile_id")) return def;
  return asString((p as JsonObject).profile_id);
}

/**
 * printf("%.<precision>g"), as C++ streams print doubles (precision 6 by default);
 * `pointZero` appends ".0" to integral results like jsoncpp's valueToString.
 */
export function formatG(value: number, precision = 6, pointZero = false): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? "nan" : value > 0 ? "inf" : "-inf";
  if (value === 0) return pointZero ? "0.0" : "0";
  const exp = Math.floor(Math.log10(Math.abs(value)));
  let text: string;
  const fixedExp = Number(value.toExponential(precision - 1).split("e")[1]);
  const e = Number.isFinite(fixedExp) ? fixedExp : exp;
  if (e < -4 || e >= precision) {
    const [mant, ex] = value.toExponential(precision - 1).split("e");
    const m = mant.includes(".") ? mant.replace(/\.?0+$/, "") : mant;
    const exNum = Number(ex);
    text = `${m}e${exNum < 0 ? "-" : "+"}${String(Math.abs(exNum)).padStart(2, "0")}`;
  } else {
    text = value.toFixed(Math.max(0, precision - 1 - e));
    if (text.includes(".")) text = text.replace(/\.?0+$/, "");
  }
  if (pointZero && !/[.e]/.test(text)) text += ".0";
  return text;
}
