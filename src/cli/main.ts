import { Command, CommanderError } from "commander";
import { CliError, debugEnabled, ExitCode, printable } from "./exit-codes.ts";
import { readFileSync } from "node:fs";

/** A command module registers its subcommand; its action resolves to an exit status. */
export type CommandAction = (...args: never[]) => Promise<number>;

export interface CommandModule {
  register(program: Command, setExit: (code: number) => void): void;
}

export interface CommandEntry {
  /** One line for `autotrex --help`; the module's own description (a test keeps them equal). */
  summary: string;
  load: () => Promise<CommandModule>;
}

/**
 * Every command, in the order `autotrex --help` lists them. Only the command being run is
 * imported (a run pulls in Chart.js, ZMQ and gRPC; `--help` and `--version` need none of them).
 */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  run: {
    summary: "search the highest packet rate within the loss threshold(s) for every frame size",
    load: () => import("./run.ts"),
  },
  simulate: {
    summary: "build a profile's packets locally (field engine applied), list them or write a pcap",
    load: () => import("./simulate.ts"),
  },
  profiles: {
    summary: "list the profiles shipped with autotrex (usable by name: autotrex run tcp_1pkt)",
    load: () => import("./profiles.ts"),
  },
  emulate: {
    summary: "run a TRex-compatible server with a modelled DUT (no NICs needed)",
    load: () => import("./emulate.ts"),
  },
  "check-config": {
    summary: "validate a TRex server configuration (trex_cfg.yaml)",
    load: () => import("./check-config.ts"),
  },
  compare: {
    summary:
      "compare a run with a baseline run: exit 0 ok, 1 regression, 2 bad or incompatible input",
    load: () => import("./compare.ts"),
  },
  trend: {
    summary: "plot the primary result per frame size across runs, in date order",
    load: () => import("./trend.ts"),
  },
  serve: {
    summary: "run the gRPC agent that executes benchmarks for remote CI runners",
    load: () => import("./serve.ts"),
  },
};

export function version(): string {
  // package.json is two levels up from both src/cli/ and dist/cli/.
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  return String(pkg.version);
}

/** The command `argv` names (`autotrex run …`, `autotrex help run`), if it names one. */
function requestedCommand(argv: string[]): string | undefined {
  const [first, second] = argv.slice(2);
  const name = first === "help" ? second : first;
  return name !== undefined && Object.hasOwn(COMMANDS, name) ? name : undefined;
}

/** Where bin/autotrex.js leaves its start-up signal handler. */
const EARLY_SIGNAL = Symbol.for("autotrex.earlySignal");

/**
 * Until the command's module is loaded, Ctrl-C/SIGTERM end the process with the documented 130
 * (bin/autotrex.js installs the same handler before anything loads); then the command sets up
 * its own handling (a run stops its traffic and releases its ports first).
 */
function holdSignals(hold: boolean): void {
  const registry = globalThis as { [EARLY_SIGNAL]?: () => void };
  if (hold && !registry[EARLY_SIGNAL]) {
    registry[EARLY_SIGNAL] = () => process.exit(ExitCode.interrupted);
    process.on("SIGINT", registry[EARLY_SIGNAL]);
    process.on("SIGTERM", registry[EARLY_SIGNAL]);
  }
  const handler = registry[EARLY_SIGNAL];
  if (!hold && handler) {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
    delete registry[EARLY_SIGNAL];
  }
}

/**
 * The reader of stdout or stderr went away (`autotrex simulate … | head`): never a stack trace.
 * A command that holds a server or runs one keeps going (its results go to disk, its ports
 * must be released); any other ends quietly, as if its output had been read.
 */
let pipeCloseTolerated = false;

function toleratePipeClose(command: string | undefined): void {
  // once per process: main() also runs in-process, in tests
  if (pipeCloseTolerated) return;
  pipeCloseTolerated = true;
  const keepGoing = command === "run" || command === "serve" || command === "emulate";
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", () => {
      if (!keepGoing) process.exit(ExitCode.ok);
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  holdSignals(true);
  let exitCode: number = ExitCode.ok;
  const program = new Command()
    .name("autotrex")
    .description("Benchmark a device under test with the TRex traffic generator.")
    .version(version())
    .exitOverride()
    .showHelpAfterError();
  const requested = requestedCommand(argv);
  toleratePipeClose(requested);
  for (const [name, entry] of Object.entries(COMMANDS)) {
    if (name !== requested) {
      // Listed in the help (and in "did you mean"), never run: its module is not loaded.
      program.command(name).description(entry.summary);
      continue;
    }
    (await entry.load()).register(program, (code) => {
      exitCode = code;
    });
  }
  holdSignals(false);
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
    // Never a stack trace for a user, unless asked for.
    if (debugEnabled()) throw err;
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(
      `autotrex: internal error: ${printable(message, { oneLine: true })} (AUTOTREX_DEBUG=1 shows the stack)\n`,
    );
    return ExitCode.someFailed;
  }
}
