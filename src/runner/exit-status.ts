/**
 * The one mapping from an error to the documented exit statuses (exit-code.ts), used by the
 * CLI and by the gRPC agent alike. A server that could not be started (src/session) is a
 * TrexError; a bad emulated DUT reaches here as a RunSetupError.
 */
import { ProfileError, ProfileInterruptedError } from "../profile/index.ts";
import { OutputWriteError } from "../report/run-directory.ts";
import { TrexError } from "../trex/index.ts";
import { TrialAbortedError } from "./trial.ts";
import { ExitCode, RunSetupError, type ExitCodeValue } from "./exit-code.ts";

/** The exit status of a run that ended with `err` (thrown before or during the run). */
export function exitStatusOf(err: unknown): ExitCodeValue {
  if (err instanceof RunSetupError || err instanceof ProfileError) return ExitCode.usage;
  if (err instanceof ProfileInterruptedError || err instanceof TrialAbortedError) {
    return ExitCode.interrupted;
  }
  if (err instanceof TrexError) return ExitCode.server;
  if (err instanceof OutputWriteError) return ExitCode.writeFailed;
  return ExitCode.someFailed;
}
