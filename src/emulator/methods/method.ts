/**
 * One JSON-RPC method of the emulated server: its TRex component (named in the api_h error),
 * the checks it needs before it runs, and what it does on the shared state. A new method is one
 * entry in one of the tables beside this file (methods/index.ts joins them).
 */
import type { JsonObject, JsonValue } from "../json-text.ts";
import type { BoxState } from "../state.ts";

/**
 * - `open`: no api_h check (api_sync, api_sync_v2, get_version, ping);
 * - `api`: the api_h of this server;
 * - `owned`: api_h, then `handler` + `port_id` of a port the caller owns.
 */
export type Access = "open" | "api" | "owned";

export interface MethodDef {
  component: "common" | "STL";
  access: Access;
  /**
   * Whose finished trials are ended before the method runs: every port's (the default), or
   * only the port it names (start_traffic: at time scale 0 the other ports' trials stay under
   * way, so ports started one request after the other start at the same model time).
   */
  ends?: "all-ports" | "own-port";
  run(params: JsonObject, box: BoxState): JsonValue;
}

export type MethodTable = Record<string, MethodDef>;

type Run = MethodDef["run"];

type Extra = Pick<MethodDef, "ends">;

/** A method of TRex's common component. */
export function common(run: Run, access: Access = "api", extra: Extra = {}): MethodDef {
  return { component: "common", access, run, ...extra };
}

/** A method of TRex's STL component. */
export function stl(run: Run, access: Access = "api", extra: Extra = {}): MethodDef {
  return { component: "STL", access, run, ...extra };
}
