/**
 * The one mapping from an error to the documented exit statuses (exit-code.ts), used by the
 * CLI and by the gRPC agent alike.
 */
import { DutSpecError } from "../emulator/index.ts";
import { ProfileError, ProfileInterruptedError } from "../profile/index.ts";
import { OutputWriteError } from "../report/run-directory.ts";
import { TrexError } from "../trex/index.ts";
import { TrexStartError } from "./server.ts";
import { TrialAbortedError } from "./trial.ts";
import { ExitCode, RunSetupError, type ExitCodeValue } from "./exit-code.ts";

/** The exit status of a run that ended with `err` (thrown before or during the run). */
export function exitStatusOf(err: unknown): ExitCodeValue {
  if (err instanceof RunSetupError || err instanceof ProfileError || err instanceof DutSpecError) {
    return ExitCode.usage;
  }
  if (err instanceof ProfileInterruptedError || err instanceof TrialAbortedError) {
    return ExitCode.interrupted;
  }
  if (err instanceof TrexError || err instanceof TrexStartError) return ExitCode.server;
  if (err instanceof OutputWriteError) return ExitCode.writeFailed;
  return ExitCode.someFailed;
}
