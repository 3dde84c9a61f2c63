/**
 * The documented exit statuses (README "Exit statuses"), for the CLI and the gRPC agent alike.
 * No imports: the CLI reads these at start-up, before any command is loaded.
 */
export const ExitCode = {
  ok: 0,
  /**
   * The run finished but at least one frame size failed (or `compare` found a regression);
   * also an unexpected internal error.
   */
  someFailed: 1,
  /** Bad usage, profile or configuration. */
  usage: 2,
  /** The TRex server could not be reached or misbehaved. */
  server: 3,
  /** A result or report file could not be written (EACCES, ENOSPC, EIO…): the line names it. */
  writeFailed: 4,
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A run that cannot start as asked: bad parameters, profile or ports (exit status 2). */
export class RunSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunSetupError";
  }
}
