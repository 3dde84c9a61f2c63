/**
 * `autotrex emulate`: a TRex-compatible stateless server with a modelled DUT behind its ports,
 * for machines without NICs (tests, demos, CI) and for TRex's own Python client.
 */
import type { Command } from "commander";
import type { DutParams } from "../emulator/dut-model.ts";
import {
  DUT_PRESET_NAMES,
  loadDutSpec,
  loadFaults,
  startEmulator,
  type FaultSpec,
} from "../emulator/index.ts";
import { CliError, ExitCode } from "./exit-codes.ts";
import { integerFlag, parseNumber } from "./flags.ts";

interface EmulateFlags {
  bind: string;
  port: string;
  asyncPort: string;
  ports: string;
  dut: string;
  timeScale: string;
  seed: string;
  faults?: string;
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("emulate")
    .description("run a TRex-compatible server with a modelled DUT (no NICs needed)")
    .option("--bind <address>", "address to listen on", "127.0.0.1")
    .option("--port <n>", "sync JSON-RPC port (0 = any free port)", "4501")
    .option("--async-port <n>", "async (PUB) port (0 = any free port)", "4500")
    .option("--ports <n>", "number of ports, even; pairs (0,1), (2,3), ...", "2")
    .option(
      "--dut <preset|file>",
      `DUT model: ${DUT_PRESET_NAMES.join(", ")} or a YAML/JSON file`,
      "default",
    )
    .option("--time-scale <factor>", "real seconds per modelled second (0 = instant trials)", "1")
    .option("--seed <n>", "seed of the DUT model's randomness", "1")
    .option("--faults <file>", "YAML/JSON list of faults to inject (reliability tests)")
    .action(async (flags: EmulateFlags) => {
      const rpcPort = integerFlag("--port", flags.port, 0, 65535);
      const asyncPort = integerFlag("--async-port", flags.asyncPort, 0, 65535);
      const ports = integerFlag("--ports", flags.ports, 2, 254);
      if (ports % 2 !== 0) throw new CliError(`--ports must be even, got ${ports}`);
      const seed = integerFlag("--seed", flags.seed, 0, 2 ** 32 - 1);
      const timeScale = parseNumber("--time-scale", flags.timeScale, (n) => n >= 0, "a factor ≥ 0");
      if (rpcPort !== 0 && rpcPort === asyncPort) {
        throw new CliError("--port and --async-port must differ");
      }
      let dut: DutParams;
      let faults: FaultSpec[] = [];
      try {
        dut = loadDutSpec(flags.dut);
        if (flags.faults) faults = loadFaults(flags.faults);
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      let emulator;
      try {
        emulator = await startEmulator({
          bind: flags.bind,
          rpcPort,
          asyncPort,
          ports,
          dut,
          timeScale,
          seed,
          faults,
          onFaultExit: () => {
            process.stderr.write("autotrex emulate: exit fault injected, exiting\n");
            process.exit(ExitCode.someFailed);
          },
        });
      } catch (err) {
        const message = (err as Error).message.split("\n")[0];
        // The message names the address; say which flag moves it.
        const hint = /in use/i.test(message)
          ? ` (another server runs there: pick free ports with --port and --async-port, 0 = any)`
          : "";
        throw new CliError(`${message}${hint}`, ExitCode.server);
      }
      process.stdout.write(`listening on ${emulator.rpcUrl}\n`);
      process.stdout.write(`async events on ${emulator.asyncUrl}\n`);
      await new Promise<void>((done) => {
        const stop = (): void => {
          void emulator.stop().then(done);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      setExit(ExitCode.ok);
    });
}
