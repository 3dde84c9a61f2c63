/** Documented exit statuses of every autotrex command: defined once, in the runner, for the agent too. */
import { ExitCode } from "../runner/exit-code.ts";

export { ExitCode, type ExitCodeValue } from "../runner/exit-code.ts";

/**
 * `text` with the characters a terminal would not print shown as escapes (`\x00`, `\x1b`,
 * `\u202e`), so a corrupt file cannot garble the message or the terminal. Newlines stay unless
 * `oneLine`.
 */
export function printable(text: string, { oneLine = false } = {}): string {
  // C0 controls, DEL, C1 controls, bidirectional overrides, lone surrogates
  // eslint-disable-next-line no-control-regex
  const unprintable = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]|\p{Cs}/gu;
  const escaped = text.replace(unprintable, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`;
  });
  return oneLine ? escaped.replace(/\r?\n/g, "\\n") : escaped;
}

/** An error the CLI reports as one line, with the given exit status. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.usage,
  ) {
    super(printable(message));
    this.name = "CliError";
  }
}

/** AUTOTREX_DEBUG=1: errors also print their stack (never by default). */
export function debugEnabled(): boolean {
  const value = process.env.AUTOTREX_DEBUG;
  return value !== undefined && value !== "" && value !== "0";
}
