/**
 * Deliberate misbehaviour of the emulator for reliability tests (`--faults FILE` or the
 * `faults` library option). Request numbers count every request message from 1, a batch
 * being one message; a fault naming a method matches a message containing that method.
 */
import { RPC_ERR } from "./params.ts";
import { parseYamlText, readTextFile, type YamlFile } from "./yaml-file.ts";

export type FaultSpec =
  /** Never answer the matching request (the server keeps serving the next ones). */
  | { kind: "drop-reply"; nth?: number; method?: string; times?: number }
  /** Answer the matching request `ms` milliseconds late. */
  | { kind: "delay-reply"; ms: number; nth?: number; method?: string; times?: number }
  /**
   * Stop the server `afterMs` after the matching request was answered (default: the first
   * `start_traffic`): the library closes its sockets, the CLI exits with status 1.
   */
  | { kind: "exit"; method?: string; nth?: number; afterMs?: number }
  /** The port is owned by another user from the start (another session, its own handler). */
  | { kind: "foreign-owner"; port: number; owner: string }
  /** The port's link is down from the start: speed 0, start_traffic refused without force. */
  | { kind: "link-down"; port: number }
  /**
   * The port is in L3 mode and its default gateway never answered ARP: no valid destination
   * MAC, so start_traffic without force is refused while a stream has no explicit one.
   */
  | { kind: "unresolved"; port: number }
  /**
   * The NICs count flow stats in hardware (TRex on i40e, not af_packet): service mode and
   * flow-stats streams exclude each other, each refused while the other is in use.
   */
  | { kind: "hw-flow-stats" }
  /**
   * Answer `times` calls of the method from its `nth` on (default: the first one) with TRex's
   * -32001 "Try again later", without running them (a port busy with RX configuration).
   */
  | { kind: "try-again"; method: string; nth?: number; times?: number }
  /**
   * Run `times` calls of the method from its `nth` on, but answer -32002 "Work in progress"
   * with a ticket id; `get_async_results {ticket_id}` answers -32002 `polls` more times
   * (default 0), then the call's own reply, as TRex's asynchronous port configuration does.
   */
  | { kind: "work-in-progress"; method: string; nth?: number; times?: number; polls?: number }
  /** Answer the matching method with a JSON-RPC error instead of running it. */
  | {
      kind: "error";
      method: string;
      code?: number;
      message?: string;
      nth?: number;
      times?: number;
    };

export type FaultKind = FaultSpec["kind"];

const KEYS: Record<FaultKind, { required: string[]; optional: string[] }> = {
  "drop-reply": { required: [], optional: ["nth", "method", "times"] },
  "delay-reply": { required: ["ms"], optional: ["nth", "method", "times"] },
  exit: { required: [], optional: ["method", "nth", "afterMs"] },
  "foreign-owner": { required: ["port", "owner"], optional: [] },
  "link-down": { required: ["port"], optional: [] },
  unresolved: { required: ["port"], optional: [] },
  "hw-flow-stats": { required: [], optional: [] },
  "try-again": { required: ["method"], optional: ["nth", "times"] },
  "work-in-progress": { required: ["method"], optional: ["nth", "times", "polls"] },
  error: { required: ["method"], optional: ["code", "message", "nth", "times"] },
};

const NUMBER_KEYS = new Set(["nth", "times", "ms", "afterMs", "port", "code", "polls"]);

/** TRex's replies to a busy server (src/rpc-server/trex_rpc_jsonrpc_v2_parser.cpp). */
export const TRY_AGAIN = { code: RPC_ERR.tryAgain, message: "Try again later" } as const;
export const WORK_IN_PROGRESS = {
  code: RPC_ERR.workInProgress,
  message: "Work in progress",
} as const;

/** A faults file that cannot be read or is not a valid list of faults. */
export class FaultSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FaultSpecError";
  }
}

/** Validates a list of fault specs read from YAML/JSON; `source` names it in errors. */
export function parseFaults(value: unknown, source: string): FaultSpec[] {
  return checkFaults({ value, where: () => source });
}

/** Reads a YAML or JSON faults file: a list of fault specs (or `{faults: [...]}`). */
export function loadFaults(file: string): FaultSpec[] {
  const fail = (message: string): FaultSpecError => new FaultSpecError(message);
  return checkFaults(parseYamlText(readTextFile(file, fail), file, fail));
}

function checkFaults(file: YamlFile): FaultSpec[] {
  const { value } = file;
  const wrapped = value !== null && typeof value === "object" && "faults" in value;
  const list = wrapped ? (value as { faults: unknown }).faults : value;
  const at = (path: Array<string | number>, of?: "key"): string =>
    file.where(wrapped ? ["faults", ...path] : path, of);
  if (!Array.isArray(list)) throw new FaultSpecError(`${at([])}: expected a list of faults`);
  return list.map((raw, i) =>
    checkFault(raw, (key, of) => `${at(key ? [i, key] : [i], of)}: fault ${i + 1}`),
  );
}

function checkFault(raw: unknown, where: (key?: string, of?: "key") => string): FaultSpec {
  const fail = (key: string | undefined, message: string, of?: "key"): FaultSpecError =>
    new FaultSpecError(`${where(key, of)}: ${message}`);
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw fail(undefined, "must be a mapping with a 'kind'");
  }
  const rec = raw as Record<string, unknown>;
  const kind = rec.kind;
  if (typeof kind !== "string" || !Object.hasOwn(KEYS, kind)) {
    throw fail("kind", `kind must be one of ${Object.keys(KEYS).join(", ")}`);
  }
  const spec = KEYS[kind as FaultKind];
  for (const key of spec.required) {
    if (rec[key] === undefined) throw fail(undefined, `'${kind}' needs '${key}'`);
  }
  for (const [key, v] of Object.entries(rec)) {
    if (key === "kind") continue;
    if (!spec.required.includes(key) && !spec.optional.includes(key)) {
      throw fail(key, `unknown key '${key}' for '${kind}'`, "key");
    }
    if (NUMBER_KEYS.has(key)) {
      const ok = typeof v === "number" && Number.isInteger(v) && (key === "code" || v >= 0);
      if (!ok) throw fail(key, `'${key}' must be a non-negative integer`);
    } else if (typeof v !== "string" || v === "") {
      throw fail(key, `'${key}' must be a non-empty string`);
    }
  }
  return rec as FaultSpec;
}

/** What to do with one request message. */
export interface FaultDecision {
  drop: boolean;
  delayMs: number;
  /** Replace the reply to this method with an error. */
  errors: Map<string, { code: number; message: string }>;
  /** Run this method but answer "work in progress"; the value is the polls before the result. */
  deferred: Map<string, number>;
  /** Stop the server this long after the reply. */
  exitAfterMs?: number;
}

/** Faults that hold from the start rather than fire on requests. */
const STANDING_KINDS = ["foreign-owner", "link-down", "unresolved", "hw-flow-stats"] as const;
type Standing = Extract<FaultSpec, { kind: (typeof STANDING_KINDS)[number] }>;
type Triggered = Exclude<FaultSpec, Standing>;

function isStanding(spec: FaultSpec): spec is Standing {
  return (STANDING_KINDS as readonly string[]).includes(spec.kind);
}

/** Tracks request numbers and how often each fault fired. */
export class FaultPlan {
  private requestCount = 0;
  private readonly fired = new Map<Triggered, number>();
  private readonly methodCounts = new Map<string, number>();

  constructor(readonly specs: readonly FaultSpec[]) {}

  foreignOwners(): Array<{ port: number; owner: string }> {
    return this.specs.flatMap((s) => (s.kind === "foreign-owner" ? [s] : []));
  }

  linkDownPorts(): number[] {
    return this.specs.flatMap((s) => (s.kind === "link-down" ? [s.port] : []));
  }

  unresolvedPorts(): number[] {
    return this.specs.flatMap((s) => (s.kind === "unresolved" ? [s.port] : []));
  }

  hwFlowStats(): boolean {
    return this.specs.some((s) => s.kind === "hw-flow-stats");
  }

  /** Called once per request message with the methods it names. */
  decide(methods: readonly string[]): FaultDecision {
    this.requestCount++;
    const n = this.requestCount;
    const decision: FaultDecision = {
      drop: false,
      delayMs: 0,
      errors: new Map(),
      deferred: new Map(),
    };
    const seenNow = new Map<string, number>();
    for (const m of new Set(methods)) {
      const count = (this.methodCounts.get(m) ?? 0) + 1;
      this.methodCounts.set(m, count);
      seenNow.set(m, count);
    }
    for (const spec of this.specs) {
      if (isStanding(spec)) continue;
      const matches = this.matches(spec, n, seenNow);
      if (!matches) continue;
      const times = "times" in spec && spec.times !== undefined ? spec.times : defaultTimes(spec);
      const fired = this.fired.get(spec) ?? 0;
      if (times > 0 && fired >= times) continue;
      this.fired.set(spec, fired + 1);
      switch (spec.kind) {
        case "drop-reply":
          decision.drop = true;
          break;
        case "delay-reply":
          decision.delayMs = Math.max(decision.delayMs, spec.ms);
          break;
        case "exit":
          decision.exitAfterMs = spec.afterMs ?? 0;
          break;
        case "error":
          decision.errors.set(spec.method, {
            code: spec.code ?? -32000,
            message: spec.message ?? "Failed To Execute Method",
          });
          break;
        case "try-again":
          decision.errors.set(spec.method, TRY_AGAIN);
          break;
        case "work-in-progress":
          decision.deferred.set(spec.method, spec.polls ?? 0);
          break;
      }
    }
    return decision;
  }

  private matches(spec: Triggered, n: number, seenNow: Map<string, number>): boolean {
    const method = spec.method ?? (spec.kind === "exit" ? "start_traffic" : undefined);
    if (method !== undefined) {
      const count = seenNow.get(method);
      if (count === undefined) return false;
      // With a method, nth counts that method's requests; a busy server is busy from the
      // nth call on, for `times` calls.
      if (spec.kind === "try-again" || spec.kind === "work-in-progress") {
        return count >= (spec.nth ?? 1);
      }
      return spec.nth === undefined || spec.nth === count;
    }
    return spec.nth === undefined || spec.nth === n;
  }
}

function defaultTimes(spec: Triggered): number {
  // Without nth or method a drop/delay fault would hit every request; once is the useful default.
  if (spec.kind === "error") return 0;
  return 1;
}
