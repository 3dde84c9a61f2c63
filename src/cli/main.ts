import { Command, CommanderError } from "commander";
import { CliError, ExitCode } from "./exit-codes.ts";
import { readFileSync } from "node:fs";

/** A command module registers its subcommand; its action resolves to an exit status. */
export type CommandAction = (...args: never[]) => Promise<number>;

export interface CommandModule {
  register(program: Command, setExit: (code: number) => void): void;
}

// Each command lives in its own module, loaded only when the CLI starts.
const commandModules: Array<() => Promise<CommandModule>> = [
  () => import("./run.ts"),
  () => import("./simulate.ts"),
  () => import("./emulate.ts"),
  () => import("./check-config.ts"),
  () => import("./compare.ts"),
  () => import("./trend.ts"),
  () => import("./serve.ts"),
];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  return String(pkg.version);
}

export async function main(argv: string[]): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const program = new Command()
    .name("autotrex")
    .description("Benchmark a device under test with the TRex traffic generator.")
    .version(version())
    .exitOverride()
    .showHelpAfterError();
  for (const load of commandModules) {
    (await load()).register(program, (code) => {
      exitCode = code;
    });
  }
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (err instanceof CliError) {
      process.stderr.write(`autotrex: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
