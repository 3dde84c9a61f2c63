/** Every JSON-RPC method of the emulated server, by concern. */
import type { MethodDef, MethodTable } from "./method.ts";
import { portMethods } from "./ports.ts";
import { sessionMethods } from "./session.ts";
import { statsMethods } from "./stats.ts";
import { streamMethods } from "./streams.ts";
import { trafficMethods } from "./traffic.ts";

export type { MethodDef } from "./method.ts";

function join(...tables: MethodTable[]): ReadonlyMap<string, MethodDef> {
  const all = new Map<string, MethodDef>();
  for (const table of tables) {
    for (const [name, def] of Object.entries(table)) {
      if (all.has(name)) throw new Error(`emulator method '${name}' is defined twice`);
      all.set(name, def);
    }
  }
  return all;
}

export const METHODS = join(
  sessionMethods,
  portMethods,
  statsMethods,
  streamMethods,
  trafficMethods,
);
