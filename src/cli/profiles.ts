/**
 * `autotrex profiles`: the profiles shipped with autotrex, with their descriptions; and the
 * one way the commands turn a profile argument into a file (a path, or a shipped name).
 */
import type { Command } from "commander";
import {
  BUNDLED_PROFILES_DIR,
  bundledDescription,
  bundledProfiles,
  resolveProfileArgument,
} from "../profile/bundled.ts";
import { ProfileError } from "../profile/profile.ts";
import { CliError, ExitCode } from "./exit-codes.ts";

/** The file a profile argument names (see resolveProfileArgument); an unknown name exits 2. */
export function profileArgument(arg: string): string {
  try {
    return resolveProfileArgument(arg);
  } catch (err) {
    if (err instanceof ProfileError) throw new CliError(err.message, ExitCode.usage);
    throw err;
  }
}

export function listProfiles(opts: { json?: boolean }): number {
  const profiles = bundledProfiles().map((p) => ({ ...p, description: bundledDescription(p) }));
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ directory: BUNDLED_PROFILES_DIR, profiles }, null, 2)}\n`,
    );
    return ExitCode.ok;
  }
  const width = Math.max(0, ...profiles.map((p) => p.name.length));
  const lines = profiles.map((p) => `${p.name.padEnd(width)}  ${p.description}`);
  lines.push(
    "",
    `in ${BUNDLED_PROFILES_DIR}; use one by name (autotrex run tcp_1pkt) or copy it to start your own`,
  );
  process.stdout.write(`${lines.join("\n")}\n`);
  return ExitCode.ok;
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("profiles")
    .description("list the profiles shipped with autotrex (usable by name: autotrex run tcp_1pkt)")
    .option("--json", "machine-readable output")
    .action((opts: { json?: boolean }) => {
      setExit(listProfiles(opts));
    });
}
