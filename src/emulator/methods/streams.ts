/** Profiles and their streams: add, list, read, remove (src/stx/stl/trex_stl_rpc_cmds.cpp). */
import type { JsonObject } from "../json-text.ts";
import { executeErr, parseBool, parseNumber, parseObject, parseProfile } from "../params.ts";
import { DP_CORES_PER_PORT, type Profile } from "../state.ts";
import { MAX_STREAMS_PER_PORT, parseStream } from "../streams.ts";
import { stl, type MethodTable } from "./method.ts";

export const streamMethods: MethodTable = {
  get_profile_list: stl((p, box) => [...box.parsePort(p).profiles.keys()]),
  get_stream_list: stl((p, box) => {
    const port = box.parsePort(p);
    const profileId = parseProfile(p);
    if (profileId === "*") {
      const out: JsonObject = {};
      for (const profile of port.profiles.values()) out[profile.id] = [...profile.streams.keys()];
      return out;
    }
    return [...(port.profiles.get(profileId)?.streams.keys() ?? [])];
  }),
  get_all_streams: stl((p, box): JsonObject => {
    const port = box.parsePort(p);
    const profileId = parseProfile(p);
    const streamsOf = (profile: Profile): JsonObject =>
      Object.fromEntries([...profile.streams.values()].map((s) => [String(s.id), s.json]));
    if (profileId === "*") {
      const profiles: JsonObject = {};
      for (const profile of port.profiles.values()) {
        if (profile.streams.size > 0) profiles[profile.id] = streamsOf(profile);
      }
      return { profiles };
    }
    const profile = port.profiles.get(profileId);
    return { streams: profile ? streamsOf(profile) : {} };
  }),
  get_stream: stl((p, box) => {
    const port = box.parsePort(p);
    const profileId = parseProfile(p);
    const getPkt = parseBool(p, "get_pkt");
    const streamId = parseNumber(p, "stream_id", "uint32");
    const profile = port.profiles.get(profileId);
    if (!profile) throw executeErr(`profile_id ${profileId} does not exists`);
    const s = profile.streams.get(streamId);
    if (!s) {
      throw executeErr(
        `stream id ${streamId}, profile id ${profileId} on port ${port.id} does not exists`,
      );
    }
    const json: JsonObject = { ...s.json };
    if (!getPkt) delete json.packet;
    return { stream: json };
  }),
  add_stream: stl((p, box) => {
    const port = box.parsePort(p);
    const profileId = parseProfile(p);
    const streamId = parseNumber(p, "stream_id", "uint32");
    const section = parseObject(p, "stream");
    const def = parseStream(section, streamId, DP_CORES_PER_PORT * 2);
    const existing = port.profiles.get(profileId);
    if (existing?.streams.has(streamId)) {
      throw executeErr(`stream ${streamId} already exists in profile_id(${profileId})`);
    }
    const profile = existing ?? { id: profileId, streams: new Map(), trial: null };
    const state = box.profileState(profile);
    if (state !== "IDLE" && state !== "STREAMS") throw box.stateError("add_stream", profile);
    const total = [...port.profiles.values()].reduce((a, pr) => a + pr.streams.size, 0);
    if (total >= MAX_STREAMS_PER_PORT) {
      throw executeErr(`Reached limit of ${MAX_STREAMS_PER_PORT} streams at the port.`);
    }
    if (def.flowStats && !box.activePgidSet().has(def.flowStats.pgid)) {
      // A pg id that comes back after it was gone restarts its counters.
      box.pgids.delete(def.flowStats.pgid);
      box.pgid(def.flowStats.pgid);
    }
    profile.streams.set(streamId, def);
    port.profiles.set(profileId, profile);
    return {};
  }, "owned"),
  remove_stream: stl((p, box) => {
    const port = box.parsePort(p);
    const profileId = parseProfile(p);
    const streamId = parseNumber(p, "stream_id", "uint32");
    const profile = port.profiles.get(profileId);
    if (!profile?.streams.has(streamId)) {
      throw executeErr(`stream ${streamId} does not exists in profile_id(${profileId})`);
    }
    if (box.profileState(profile) !== "STREAMS") throw box.stateError("remove_stream", profile);
    profile.streams.delete(streamId);
    return {};
  }, "owned"),
  remove_all_streams: stl((p, box) => {
    const port = box.parsePort(p);
    const profileId = parseProfile(p);
    const profile = port.profiles.get(profileId);
    if (profile) {
      const state = box.profileState(profile);
      if (state === "TX" || state === "PAUSE") {
        throw box.stateError("remove_and_delete_all_streams", profile);
      }
      profile.streams.clear();
    }
    return {};
  }, "owned"),
};
