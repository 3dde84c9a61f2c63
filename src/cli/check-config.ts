/**
 * `autotrex check-config [FILE]`: validates a TRex server configuration before it is used.
 */
import type { Command } from "commander";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { MAX_CONFIG_BYTES, validateTrexConfig } from "../trex/config-file.ts";
import { CliError, ExitCode, printable } from "./exit-codes.ts";

/**
 * The file's text, refused above MAX_CONFIG_BYTES (read with a bound, so a device such as
 * /dev/zero or a huge file never fills the memory).
 */
function readConfig(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (err) {
    throw new CliError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  try {
    if (fstatSync(fd).isDirectory()) throw new CliError(`${file}: is a directory, not a file`);
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > MAX_CONFIG_BYTES)
        throw new CliError(
          `${file}: larger than ${MAX_CONFIG_BYTES / 1024} KiB; a TRex configuration is a few KiB`,
        );
    }
    return buffer.subarray(0, length).toString("utf8");
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  } finally {
    closeSync(fd);
  }
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("check-config")
    .description("validate a TRex server configuration (trex_cfg.yaml)")
    .argument("[file]", "configuration file", "trex_cfg.yaml")
    .action(async (file: string) => {
      const problems = validateTrexConfig(readConfig(file));
      for (const p of problems) {
        const line = `${file}:${p.line ?? "?"}: ${p.path ? `${p.path}: ` : ""}${p.message}`;
        process.stderr.write(`${printable(line, { oneLine: true })}\n`);
      }
      if (problems.length === 0) process.stdout.write(`${file}: ok\n`);
      setExit(problems.length === 0 ? ExitCode.ok : ExitCode.usage);
    });
}
