/** Documented exit statuses of every autotrex command. */
export const ExitCode = {
  ok: 0,
  /** The run finished but at least one frame size failed (or `compare` found a regression). */
  someFailed: 1,
  /** Bad usage, profile or configuration. */
  usage: 2,
  /** The TRex server could not be reached or misbehaved. */
  server: 3,
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI reports as one line, with the given exit status. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.usage,
  ) {
    super(message);
    this.name = "CliError";
  }
}
