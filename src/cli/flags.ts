/**
 * Number flags of every command, read one way: a bad value is one line naming the flag, the
 * text given and what was expected (exit status 2, via CliError).
 */
import type { RunParameters } from "../report/result.ts";
import { RunSetupError } from "../runner/exit-code.ts";
import { EMULATE_DEFAULTS, normalizeEmulate } from "../runner/spec.ts";
import { checkDut } from "../session/index.ts";
import { CliError, ExitCode } from "./exit-codes.ts";

/** `text` as a number that passes `check`, else one line: `--flag "text": expected …`. */
export function parseNumber(
  flag: string,
  text: string,
  check: (n: number) => boolean,
  expected: string,
): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || !check(n)) {
    throw new CliError(`${flag} ${JSON.stringify(text)}: expected ${expected}`);
  }
  return n;
}

/** A number flag's text as a number (absent stays absent); whether it will do is its owner's. */
export function numberFlag(
  flag: string,
  text: string | undefined,
  expected: string,
): number | undefined {
  return text === undefined ? undefined : parseNumber(flag, text, () => true, expected);
}

/** A whole number in min..max, written in digits (no `1e3`, no `0x10`). */
export function integerFlag(flag: string, text: string, min: number, max: number): number {
  const digits = /^\s*\d+\s*$/.test(text);
  return parseNumber(
    flag,
    text,
    (n) => digits && Number.isSafeInteger(n) && n >= min && n <= max,
    `an integer from ${min} to ${max}`,
  );
}

/** A rule of the run spec broken: one line, exit status 2. */
export function orUsageError<T>(make: () => T): T {
  try {
    return make();
  } catch (err) {
    if (err instanceof RunSetupError) throw new CliError(err.message, ExitCode.usage);
    throw err;
  }
}

export interface EmulateFlags {
  dut?: string;
  timeScale?: string;
  seed?: string;
}

/**
 * The emulator of `run --emulate` or `serve --emulate` from its flags, over `base` (the
 * defaults, or a resumed run's own), checked by the run spec's rules and its DUT loaded, so
 * nothing starts with an emulator every trial would fail on.
 */
export function emulateFromFlags(
  flags: EmulateFlags,
  base: NonNullable<RunParameters["emulate"]> = EMULATE_DEFAULTS,
): NonNullable<RunParameters["emulate"]> {
  return orUsageError(() => {
    const emulate = normalizeEmulate({
      dut: flags.dut ?? base.dut,
      timeScale: numberFlag("--time-scale", flags.timeScale, "a factor ≥ 0") ?? base.timeScale,
      seed: numberFlag("--seed", flags.seed, "an integer") ?? base.seed,
    });
    checkDut(emulate);
    return emulate;
  });
}
