/**
 * Loss thresholds by name: what a run searches for ("NDR: loss ≤ 0.01 %", "PDR: loss ≤ 0.5 %"),
 * their defaults and the `--loss-threshold` syntax. The one home of these rules: the CLI, the
 * agent and result.json's reader (report/validate.ts) all name thresholds through this module.
 * The searches themselves work on the percentages in order (SearchSpec.lossThresholdsPct).
 */

export interface Threshold {
  /** How reports label it: letters, digits, `-` and `_` (e.g. "NDR", "PDR", "strict"). */
  name: string;
  /** Most loss a rate may have to pass, percent (0.01 means 0.01 %). */
  lossPct: number;
}

/** The original tool's no-drop rate: loss within 0.01 %. */
export const NDR: Readonly<Threshold> = { name: "NDR", lossPct: 0.01 };
/** Partial drop rate, as in RFC 2544 practice and CSIT: loss within 0.5 %. */
export const PDR: Readonly<Threshold> = { name: "PDR", lossPct: 0.5 };

/** Names: a letter or digit, then letters, digits, `-`, `_`; short enough for a chart legend. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
export const NAME_RULE =
  "a name of letters, digits, '-' and '_' (at most 32, starting with a letter or digit)";

/** A bad threshold list; the message is one line naming the flag (or field) and the bad part. */
export class ThresholdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ThresholdError";
  }
}

/** Thresholds when none are given: NDR alone for the original bisection, NDR and PDR otherwise. */
export function defaultThresholds(search: string): Threshold[] {
  return search === "bisection" ? [{ ...NDR }] : [{ ...NDR }, { ...PDR }];
}

/**
 * Names for thresholds given as plain percentages (`--loss-threshold 0.01,0.5`, and the
 * unnamed thresholds of a version 1 result.json), by how much loss each allows: the lowest is
 * "NDR" when it allows at most NDR's 0.01 %, the others are "PDR", "PDR2", "PDR3"… from the
 * least loss up. So `0.01,0.5` is NDR and PDR, a lone `0.5` is PDR, `0` is NDR. The order
 * given is kept (the first is the primary threshold, whatever its name).
 */
export function nameByLoss(lossesPct: readonly number[]): Threshold[] {
  const ranked = [...new Set(lossesPct)].sort((a, b) => a - b);
  const names = new Map<number, string>();
  let pdrCount = 0;
  for (const [i, lossPct] of ranked.entries()) {
    if (i === 0 && lossPct <= NDR.lossPct) names.set(lossPct, NDR.name);
    else names.set(lossPct, ++pdrCount === 1 ? PDR.name : `${PDR.name}${pdrCount}`);
  }
  return lossesPct.map((lossPct) => ({ name: names.get(lossPct)!, lossPct }));
}

/**
 * Checks a list of thresholds: at least one, names by NAME_RULE and unique, losses in
 * [0, 100) and unique. `where` starts each error ("--loss-threshold", "parameters.thresholds").
 */
export function checkThresholds(thresholds: readonly Threshold[], where: string): Threshold[] {
  if (thresholds.length === 0) throw new ThresholdError(`${where}: at least one loss threshold`);
  const seen = new Map<string, number>();
  for (const { name, lossPct } of thresholds) {
    if (!NAME_PATTERN.test(name)) {
      throw new ThresholdError(`${where}: ${JSON.stringify(name)} is not ${NAME_RULE}`);
    }
    if (!(Number.isFinite(lossPct) && lossPct >= 0 && lossPct < 100)) {
      throw new ThresholdError(`${where}: ${name}: loss ${lossPct} % is not from 0 to below 100`);
    }
    const same = [...seen].find(([, pct]) => pct === lossPct);
    if (same) {
      const names = same[0] === name ? "" : ` (${same[0]} and ${name})`;
      throw new ThresholdError(`${where}: loss ${lossPct} % given twice${names}`);
    }
    if (seen.has(name)) throw new ThresholdError(`${where}: name ${name} given twice`);
    seen.set(name, lossPct);
  }
  return thresholds.map((t) => ({ name: t.name, lossPct: t.lossPct }));
}

/** "0.5" as a loss percentage; `part` is what the error quotes. */
function parseLossPct(text: string, flag: string, part: string): number {
  const value = Number(text);
  if (text === "" || !Number.isFinite(value) || value < 0 || value >= 100) {
    throw new ThresholdError(
      `${flag} ${JSON.stringify(part)}: expected a loss percentage from 0 to below 100`,
    );
  }
  return value;
}

/**
 * `--loss-threshold`: plain percentages (`0.01,0.5`, named by nameByLoss) or named ones
 * (`NDR=0.01,PDR=0.5`, any names by NAME_RULE), not mixed. Order kept: the first is primary.
 */
export function parseLossThresholds(list: string, flag = "--loss-threshold"): Threshold[] {
  const parts = list.split(",").map((p) => p.trim());
  const named = parts.map((p) => p.includes("="));
  if (named.some((n) => n !== named[0])) {
    const unnamed = parts[named.indexOf(false)];
    throw new ThresholdError(
      `${flag} ${JSON.stringify(unnamed)}: name every threshold (NAME=PCT) or none`,
    );
  }
  if (!named[0]) {
    return checkThresholds(nameByLoss(parts.map((p) => parseLossPct(p, flag, p))), flag);
  }
  const thresholds = parts.map((part) => {
    const at = part.indexOf("=");
    const name = part.slice(0, at).trim();
    if (!NAME_PATTERN.test(name)) {
      throw new ThresholdError(`${flag} ${JSON.stringify(part)}: expected ${NAME_RULE}`);
    }
    return { name, lossPct: parseLossPct(part.slice(at + 1).trim(), flag, part) };
  });
  return checkThresholds(thresholds, flag);
}

/**
 * Thresholds from percentages and, optionally, their names (the agent's request carries both
 * lists): no names means named by nameByLoss; otherwise one name per percentage.
 */
export function thresholdsFrom(
  lossesPct: readonly number[],
  names: readonly string[],
  where: string,
): Threshold[] {
  if (names.length > 0 && names.length !== lossesPct.length) {
    throw new ThresholdError(
      `${where}: ${names.length} names for ${lossesPct.length} loss thresholds`,
    );
  }
  const thresholds =
    names.length === 0
      ? nameByLoss(lossesPct)
      : lossesPct.map((lossPct, i) => ({ name: names[i], lossPct }));
  return checkThresholds(thresholds, where);
}
