/** Handshake, ownership, events and the server's own state (ping, version, async results). */
import type { JsonObject } from "../json-text.ts";
import {
  RPC_ERR,
  RpcError,
  checkElement,
  executeErr,
  parseArray,
  parseBool,
  parseChoice,
  parseErr,
  parseNumber,
  parseString,
} from "../params.ts";
import { randomHandle } from "../state.ts";
import { API_MAJOR, API_MINOR, API_NAME } from "../../trex/protocol.ts";
import { common, stl, type MethodTable } from "./method.ts";

/** The TRex release the emulator answers as (get_version). */
const SERVER_VERSION = "v3.08";

export const sessionMethods: MethodTable = {
  api_sync_v2: common((p, box) => {
    const name = parseString(p, "name");
    const major = parseNumber(p, "major", "int");
    const minor = parseNumber(p, "minor", "int");
    if (name !== API_NAME) {
      throw executeErr(
        `RPC configuration mismatch - server RPC configuration: '${API_NAME}', client RPC configuration: '${name}'`,
      );
    }
    const detail = `\n(API type '${API_NAME}':  - server: '${API_MAJOR}.${API_MINOR}', client: '${major}.${minor}')`;
    if (major < API_MAJOR) {
      throw executeErr(`RPC version mismatch: a newer client version is required${detail}`);
    }
    if (major > API_MAJOR || minor > API_MINOR) {
      throw executeErr(
        `Version mismatch: your client version is too new to be supported by the server${detail}`,
      );
    }
    return { api_h: box.apiHandle };
  }, "open"),
  api_sync: common((p, box) => {
    const vers = parseArray(p, "api_vers");
    if (vers.length !== 1) throw parseErr("'api_vers' should be a list of size 1");
    checkElement(vers, 0, "object");
    const v = vers[0] as JsonObject;
    parseChoice(v, "type", ["core"] as const);
    const major = parseNumber(v, "major", "int");
    const minor = parseNumber(v, "minor", "int");
    return { api_vers: [{ type: "core", major, minor, api_h: box.apiHandle }] };
  }, "open"),
  get_version: common(
    () => ({
      version: SERVER_VERSION,
      build_date: "Nov 20 2025",
      build_time: "00:00:00",
      built_by: "autotrex-emulator",
      mode: "STL",
    }),
    "open",
  ),
  ping: common((_p, box) => ({ ts: box.clock.nowS() }), "open"),
  get_supported_cmds: common((_p, box) => box.methodNames),
  publish_now: common((p, box) => {
    parseNumber(p, "key", "uint32");
    parseBool(p, "baseline");
    box.opts.onEvent?.();
    return {};
  }),
  get_async_events: common((p, box) => {
    const sessionId = parseNumber(p, "session_id", "uint32");
    const s = box.sessions.get(sessionId);
    if (!s) {
      box.addSession(sessionId, true);
      return { data: [] };
    }
    const data = s.events;
    s.events = [];
    s.lastPollMs = box.now();
    return { data };
  }),
  acquire: stl((p, box) => {
    const port = box.parsePort(p);
    const user = parseString(p, "user");
    const force = parseBool(p, "force");
    const sessionId = parseNumber(p, "session_id", "uint32");
    const usedForce = port.owner !== null && force;
    if (port.owner === null || force) {
      port.owner = { name: user, sessionId, handler: randomHandle() };
    } else if (port.owner.name !== user) {
      throw executeErr(`port is already taken by '${port.owner.name}'`);
    } else if (port.owner.sessionId !== sessionId) {
      throw executeErr(`port is already owned by another session of '${user}'`);
    }
    box.queueEvent(5, {
      port_id: port.id,
      who: user,
      session_id: sessionId,
      force: usedForce,
    });
    box.addSession(sessionId, false);
    return port.owner.handler;
  }),
  release: stl((p, box) => {
    const port = box.parsePort(p);
    const owner = port.owner!;
    port.owner = null;
    box.queueEvent(6, { port_id: port.id, who: owner.name, session_id: owner.sessionId });
    const s = box.sessions.get(owner.sessionId);
    if (s) s.reader = true;
    return {};
  }, "owned"),
  get_owner: common((p, box) => {
    const port = box.parsePort(p);
    return { owner: port.owner?.name ?? "<FREE>" };
  }),
  get_async_results: common((p, box) => {
    const ticketId = parseNumber(p, "ticket_id", "uint64");
    const ticket = box.tickets.get(ticketId);
    if (!ticket) throw new RpcError(RPC_ERR.noResults, "No results for request");
    if (ticket.polls > 0) {
      ticket.polls--;
      throw new RpcError(RPC_ERR.workInProgress, "Work in progress", String(ticketId));
    }
    box.tickets.delete(ticketId);
    if (ticket.error) throw ticket.error;
    return ticket.result ?? null;
  }),
  cancel_async_task: common((p, box) => {
    box.tickets.delete(parseNumber(p, "ticket_id", "uint64"));
    return {};
  }),
};
