/**
 * `autotrex check-config [FILE]`: validates a TRex server configuration before it is used.
 */
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { validateTrexConfig } from "../trex/config-file.ts";
import { CliError, ExitCode } from "./exit-codes.ts";

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("check-config")
    .description("validate a TRex server configuration (trex_cfg.yaml)")
    .argument("[file]", "configuration file", "trex_cfg.yaml")
    .action(async (file: string) => {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (err) {
        throw new CliError(
          `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        );
      }
      const problems = validateTrexConfig(text);
      for (const p of problems) {
        process.stderr.write(
          `${file}:${p.line ?? "?"}: ${p.path ? `${p.path}: ` : ""}${p.message}\n`,
        );
      }
      if (problems.length === 0) process.stdout.write(`${file}: ok\n`);
      setExit(problems.length === 0 ? ExitCode.ok : ExitCode.usage);
    });
}
