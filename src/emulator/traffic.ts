/**
 * Trials on the shared state: starting them (trial.ts plans), ending them when their model
 * time is up, and counting what they sent through the DUT model, committed or live.
 */
import { capacityPps, modelLineRatePps, type DutTrialOutcome } from "./dut-model.ts";
import type { JsonObject } from "./json-text.ts";
import type { BoxState, Counters, PgidCounters, Port, Profile } from "./state.ts";
import {
  elapsedS,
  isEnding,
  planTrial,
  streamPackets,
  trialEndS,
  type MultiplierType,
  type Trial,
  type TrialStream,
} from "./trial.ts";

export interface LiveCounters extends Counters {
  txPps: number;
  txBps: number;
  rxPps: number;
  rxBps: number;
}

/** Starts a profile's trial at the model clock's now; returns TRex's multiplier factor. */
export function startTrial(
  box: BoxState,
  port: Port,
  profile: Profile,
  mul: { type: MultiplierType; value: number },
  durationS: number,
  force: boolean,
): number {
  const trial = planTrial({
    streams: [...profile.streams.values()],
    speedGbps: port.speedGbps,
    dut: box.opts.dut,
    mulType: mul.type,
    mulValue: mul.value,
    durationS,
    force,
    startS: box.clock.nowS(),
    generatorFactor: port.dut.generatorDraw(),
  });
  profile.trial = trial;
  box.clock.trafficStarted();
  scheduleEnd(box, trial);
  return trial.factor;
}

/** Asks the server to wake up when the trial's model time is up (time scale > 0). */
export function scheduleEnd(box: BoxState, trial: Trial): void {
  if (!isEnding(trial)) return;
  // At time scale 0 a trial ends when someone looks; there is no real time to wait for.
  if (box.clock.frozen) return;
  box.opts.schedule?.(box.clock.realMsAt(trialEndS(trial)));
}

/**
 * Ends every trial (of `only`, when given) whose model time is up, queueing events 14 and 4.
 * At time scale 0 every trial with an end is up: the clock first moves to its end.
 */
export function endDueTrials(box: BoxState, only?: Port): void {
  const ports = only ? [only] : box.ports;
  if (box.clock.frozen) {
    for (const port of ports) {
      for (const { trial } of port.profiles.values()) {
        if (isEnding(trial)) box.clock.reach(trialEndS(trial));
      }
    }
  }
  const now = box.clock.nowS();
  for (const port of ports) {
    for (const profile of port.profiles.values()) {
      const trial = profile.trial;
      if (!isEnding(trial) || now < trialEndS(trial)) continue;
      commitTrial(box, port, profile, trial.durationS);
      box.queueEvent(14, { port_id: port.id, profile_id: profile.id });
      if (!box.isTransmitting(port)) box.queueEvent(4, { port_id: port.id });
    }
  }
}

/** Stops a profile's trial where it stands (stop_traffic, shutdown). */
export function stopTrial(box: BoxState, port: Port, profile: Profile): void {
  if (profile.trial) commitTrial(box, port, profile, trialElapsedS(box, profile.trial));
}

export function trialElapsedS(box: BoxState, trial: Trial): number {
  return elapsedS(trial, box.clock.nowS());
}

/**
 * Commits the counters of a trial segment of `t` modelled seconds through the DUT model; the
 * trial ends unless `keepRunning` (update_traffic goes on with a new one).
 */
export function commitTrial(
  box: BoxState,
  port: Port,
  profile: Profile,
  tRaw: number,
  keepRunning = false,
): void {
  const trial = profile.trial!;
  const t = Math.min(tRaw, trial.durationS);
  const rEff = Math.min(trial.sendPps, modelLineRatePps(box.opts.dut, trial.frameSize));
  const perStream = trial.streams.map((s) => streamPackets(s, t));
  const sent = perStream.reduce((a, b) => a + b, 0);
  // All-continuous profiles are exactly the model's trial; others run it at their mean rate.
  const durationS = trial.allContinuous ? t : rEff > 0 ? sent / rEff : 0;
  const outcome = port.dut.trial({ ratePps: trial.sendPps, durationS, frameSize: trial.frameSize });
  const tx = apportion(outcome.txPackets, perStream);
  const peer = box.peer(port);
  const rx = receiverTakes(
    box,
    peer,
    durationS,
    delivered(port, trial, apportion(outcome.rxPackets, tx)),
  );
  trial.streams.forEach((s, i) => {
    const size = s.def.frameSize;
    port.counters.opackets += tx[i];
    port.counters.obytes += tx[i] * size;
    peer.counters.ipackets += rx[i];
    peer.counters.ibytes += rx[i] * size;
    const fs = s.def.flowStats;
    if (!fs) return;
    const pg = box.pgid(fs.pgid);
    bump(pg.tp, port.id, tx[i]);
    bump(pg.tb, port.id, tx[i] * size);
    bump(pg.rp, peer.id, rx[i]);
    bump(pg.rb, peer.id, rx[i] * size);
    if (fs.ruleType === "latency") addLatency(pg, outcome.latencyUs, tx[i], rx[i]);
  });
  if (keepRunning) return;
  profile.trial = null;
  // The model time at which this segment stopped transmitting (its end, or now if stopped).
  const endS = trial.startS + trial.pausedS + t;
  box.clock.trialEnded(
    endS,
    box.ports.some((p) => box.isTransmitting(p)),
  );
}

/** Folds a segment's latency into a pg id's figures (weighted by the packets received). */
function addLatency(
  pg: PgidCounters,
  lat: DutTrialOutcome["latencyUs"],
  tx: number,
  rx: number,
): void {
  const prev = pg.latency;
  if (rx === 0) {
    if (prev) prev.dropped += tx - rx;
    return;
  }
  const seen = prev !== null && prev.packets > 0;
  pg.latency = {
    min: seen ? Math.min(prev.min, lat.min) : lat.min,
    max: prev ? Math.max(prev.max, lat.max) : lat.max,
    avg: seen ? (prev.avg * prev.packets + lat.avg * rx) / (prev.packets + rx) : lat.avg,
    dropped: (prev?.dropped ?? 0) + (tx - rx),
    packets: (prev?.packets ?? 0) + rx,
  };
}

/** Live counters of a port: committed + the running trials' share so far (pro rata). */
export function liveCounters(box: BoxState, port: Port): LiveCounters {
  const c: LiveCounters = { ...port.counters, txPps: 0, txBps: 0, rxPps: 0, rxBps: 0 };
  for (const profile of port.profiles.values()) addRunning(box, port, profile.trial, c, "tx");
  const peer = box.peer(port);
  for (const profile of peer.profiles.values()) addRunning(box, peer, profile.trial, c, "rx");
  return c;
}

/** Adds what a running trial of `from` has sent (tx) or delivered to its peer (rx) so far. */
function addRunning(
  box: BoxState,
  from: Port,
  trial: Trial | null,
  c: LiveCounters,
  into: "tx" | "rx",
): void {
  if (!trial) return;
  const t = Math.min(trialElapsedS(box, trial), trial.durationS);
  if (!Number.isFinite(t)) return;
  const { dut } = box.opts;
  const cap = capacityPps(dut, trial.frameSize);
  const rEff = Math.min(trial.sendPps, modelLineRatePps(dut, trial.frameSize));
  const perStream = trial.streams.map((s) => Math.round(streamPackets(s, t)));
  const sent = perStream.reduce((a, b) => a + b, 0);
  const forwarded = Math.min(sent, Math.floor(cap * t) + dut.bufferPackets);
  const counted =
    into === "tx"
      ? perStream
      : receiverTakes(box, null, t, delivered(from, trial, apportion(forwarded, perStream)));
  trial.streams.forEach((s, i) => {
    if (into === "tx") {
      c.opackets += counted[i];
      c.obytes += counted[i] * s.def.frameSize;
    } else {
      c.ipackets += counted[i];
      c.ibytes += counted[i] * s.def.frameSize;
    }
  });
  if (trial.pausedAtS !== null) return;
  const pps = into === "tx" ? rEff : Math.min(rEff, cap) * deliveredShare(from, trial);
  if (into === "tx") {
    c.txPps += pps;
    c.txBps += pps * trial.frameSize * 8;
  } else {
    c.rxPps += pps;
    c.rxBps += pps * trial.frameSize * 8;
  }
}

/**
 * What the receiving port counts of the packets reaching it in `durationS`: at most
 * generator.rxMaxPps per second; the rest is dropped inside TRex and added to `peer`'s
 * rx_missed_errors when given (committed counters; live ones only cap).
 */
function receiverTakes(
  box: BoxState,
  peer: Port | null,
  durationS: number,
  perStream: number[],
): number[] {
  const rxMaxPps = box.opts.dut.generator?.rxMaxPps;
  const arrived = perStream.reduce((a, b) => a + b, 0);
  if (rxMaxPps === undefined || arrived <= rxMaxPps * durationS) return perStream;
  const taken = Math.floor(rxMaxPps * durationS);
  if (peer) peer.counters.rxMissed += arrived - taken;
  return apportion(taken, perStream);
}

/**
 * Whether a stream's frames reach the peer: the link is up and they carry a destination MAC
 * the DUT takes, which a forced start on an unresolved port gives only to streams with their
 * own (explicit) one.
 */
function deliversToPeer(port: Port, s: TrialStream): boolean {
  return port.linkUp && (port.unresolvedL3 === null || s.def.explicitDstMac);
}

/** Per-stream counts of what the DUT forwarded, less what never reaches the peer. */
function delivered(port: Port, trial: Trial, perStream: number[]): number[] {
  return perStream.map((n, i) => (deliversToPeer(port, trial.streams[i]) ? n : 0));
}

/** The share of a trial's rate that reaches the peer. */
function deliveredShare(port: Port, trial: Trial): number {
  const total = trial.streams.reduce((a, s) => a + s.ratePps, 0);
  const reaching = trial.streams.reduce((a, s) => a + (deliversToPeer(port, s) ? s.ratePps : 0), 0);
  return total > 0 ? reaching / total : 0;
}

/** Event data naming a port and profile. */
export function profileEvent(port: Port, profile: Profile): JsonObject {
  return { port_id: port.id, profile_id: profile.id };
}

function bump(m: Map<number, number>, key: number, by: number): void {
  m.set(key, (m.get(key) ?? 0) + by);
}

/**
 * Splits an integer total over parts in proportion to `weights` (largest remainder), so the
 * parts are integers that add up to the total.
 */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (weights.length === 0) return [];
  if (sum <= 0) return weights.map((_, i) => (i === 0 ? total : 0));
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; left > 0 && k < order.length; k++, left--) parts[order[k][1]]++;
  return parts;
}
