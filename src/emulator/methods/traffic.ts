/** Starting, stopping, pausing and re-rating traffic (src/stx/stl/trex_stl_rpc_cmds.cpp). */
import { memberMeta, type JsonObject } from "../json-text.ts";
import {
  executeErr,
  isAbsent,
  optNumber,
  parseBool,
  parseChoice,
  parseErr,
  parseNumber,
  parseObject,
  parseProfile,
  parseString,
} from "../params.ts";
import {
  DP_CORES_PER_PORT,
  hasFlowStats,
  hasImplicitDstMac,
  TREX_545,
  type BoxState,
  type Port,
  type Profile,
} from "../state.ts";
import { commitTrial, profileEvent, scheduleEnd, startTrial, trialElapsedS } from "../traffic.ts";
import { MULTIPLIER_TYPES, type MultiplierType } from "../trial.ts";
import { stl, type MethodTable } from "./method.ts";

/** The Python client's core_mask: every core. */
const ALL_CORES = (1n << 64n) - 1n;

export const trafficMethods: MethodTable = {
  start_traffic: stl(
    (p, box) => {
      const port = box.parsePort(p);
      const profileId = parseProfile(p);
      checkServiceMode(box, port.profiles.get(profileId));
      const durationS = parseNumber(p, "duration", "double");
      const force = parseBool(p, "force");
      checkCoreMask(p);
      optNumber(p, "start_at_ts", "double", 0);
      const mul = parseObject(p, "mul");
      const type = parseChoice(mul, "type", MULTIPLIER_TYPES);
      const op = parseString(mul, "op");
      const value = parseNumber(mul, "value", "unsigned double");
      if (value === 0) throw parseErr("multiplier can't be zero");
      if (op !== "abs") throw parseErr("start message can only specify absolute speed rate");
      const ts = box.clock.nowS();
      const profile = box.profileOrThrow(port, profileId);
      if (box.profileState(profile) !== "STREAMS") throw box.stateError("start", profile);
      if (!force) checkReachable(port, profile);
      const wasTx = box.isTransmitting(port);
      const factor = startTrial(box, port, profile, { type, value }, durationS, force);
      box.queueEvent(10, profileEvent(port, profile));
      if (!wasTx) box.queueEvent(0, { port_id: port.id });
      return { multiplier: factor, ts };
    },
    "owned",
    { ends: "own-port" },
  ),
  stop_traffic: stl((p, box) => {
    const port = box.parsePort(p);
    const profileId = parseProfile(p);
    const targets =
      profileId === "*" ? [...port.profiles.values()] : [box.profileOrThrow(port, profileId)];
    for (const profile of targets) {
      if (!profile.trial) continue;
      commitTrial(box, port, profile, trialElapsedS(box, profile.trial));
      box.queueEvent(11, profileEvent(port, profile));
      if (!box.isTransmitting(port)) box.queueEvent(1, { port_id: port.id });
    }
    return {};
  }, "owned"),
  pause_traffic: stl((p, box) => {
    const port = box.parsePort(p);
    const profile = box.profileOrThrow(port, parseProfile(p));
    const trial = profile.trial;
    if (!trial || trial.pausedAtS !== null) throw box.stateError("pause", profile);
    if (!trial.allContinuous) {
      throw executeErr(" pause is supported when all streams are in continues mode ");
    }
    if (Number.isFinite(trial.durationS)) {
      throw executeErr(" pause is supported when duration is not enable is start command ");
    }
    trial.pausedAtS = box.clock.nowS();
    box.queueEvent(12, profileEvent(port, profile));
    box.queueEvent(2, { port_id: port.id });
    return {};
  }, "owned"),
  resume_traffic: stl((p, box) => {
    const port = box.parsePort(p);
    const profile = box.profileOrThrow(port, parseProfile(p));
    const trial = profile.trial;
    if (!trial || trial.pausedAtS === null) throw box.stateError("resume", profile);
    trial.pausedS += box.clock.nowS() - trial.pausedAtS;
    trial.pausedAtS = null;
    box.queueEvent(13, profileEvent(port, profile));
    box.queueEvent(3, { port_id: port.id });
    return {};
  }, "owned"),
  update_traffic: stl((p, box) => {
    const port = box.parsePort(p);
    const profile = box.profileOrThrow(port, parseProfile(p));
    const force = parseBool(p, "force");
    const mul = parseObject(p, "mul");
    const type = parseChoice(mul, "type", MULTIPLIER_TYPES);
    const op = parseChoice(mul, "op", ["abs", "add", "sub"] as const);
    const value = parseNumber(mul, "value", "unsigned double");
    if (!profile.trial) throw box.stateError("update", profile);
    if (op !== "abs") {
      throw executeErr("the autotrex emulator supports only absolute rates in update_traffic");
    }
    return { multiplier: reRate(box, port, profile, { type, value }, force) };
  }, "owned"),
  remove_rx_filters: stl((p, box) => {
    const port = box.parsePort(p);
    const profile = box.profileOrThrow(port, parseProfile(p));
    if (box.profileState(profile) !== "STREAMS") {
      throw box.stateError("remove_rx_filters", profile);
    }
    return {};
  }, "owned"),
};

/**
 * On NICs with hardware flow stats a profile with flow-stats streams does not start while any
 * port is in service mode (TrexRpcCmdStartTraffic, before the other parameters are read).
 */
function checkServiceMode(box: BoxState, profile: Profile | undefined): void {
  if (!box.hwFlowStats || !profile || !hasFlowStats(profile)) return;
  const inService = box.ports.find((port) => port.service);
  if (inService) {
    throw executeErr(
      `Port ${inService.id} is under service mode, can't use flow_stats. (see ${TREX_545})`,
    );
  }
}

/**
 * What start_traffic refuses without force (TrexStatelessProfile::start_traffic): a link that
 * is down, and an unresolved destination MAC while a stream relies on it.
 */
function checkReachable(port: Port, profile: Profile): void {
  if (!port.linkUp) throw executeErr("Link state is DOWN.");
  if (port.unresolvedL3 && hasImplicitDstMac(profile)) {
    throw executeErr(
      `Port ${port.id} dest MAC is invalid and there are streams without explicit dest MAC.`,
    );
  }
}

/** core_mask may be absent, a uint64, or the Python client's 2^64 − 1 read as a double. */
function checkCoreMask(p: JsonObject): void {
  const coreMask = isAbsent(p, "core_mask")
    ? ALL_CORES
    : (memberMeta(p, "core_mask")?.big ?? BigInt(parseNumber(p, "core_mask", "uint64")));
  if (!isAbsent(p, "core_mask")) parseNumber(p, "core_mask", "uint64");
  const coreCount = DP_CORES_PER_PORT * 2;
  if ((coreMask & ((1n << BigInt(coreCount)) - 1n)) === 0n) {
    throw parseErr(
      `core_mask: '0x${coreMask.toString(16)}' for ${coreCount} cores generates an empty set`,
    );
  }
}

/**
 * update_traffic: commits what was sent so far, then continues the same trial at the new rate
 * for the rest of its duration; a refused rate leaves the old one going.
 */
function reRate(
  box: BoxState,
  port: Port,
  profile: Profile,
  mul: { type: MultiplierType; value: number },
  force: boolean,
): number {
  const trial = profile.trial!;
  const now = box.clock.nowS();
  const done = Math.min(trialElapsedS(box, trial), trial.durationS);
  const remaining = trial.durationS - done;
  const paused = trial.pausedAtS !== null;
  commitTrial(box, port, profile, done, true);
  profile.trial = null;
  try {
    // The rest of the trial in requested seconds, stretched again at the new rate.
    const factor = startTrial(box, port, profile, mul, remaining / trial.stretch, force);
    if (paused) profile.trial!.pausedAtS = now;
    return factor;
  } catch (err) {
    Object.assign(trial, { startS: now, pausedS: 0, durationS: remaining });
    if (paused) trial.pausedAtS = now;
    profile.trial = trial;
    scheduleEnd(box, trial);
    throw err;
  }
}
