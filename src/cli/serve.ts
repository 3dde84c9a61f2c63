/**
 * `autotrex serve`: the gRPC agent for remote and nightly runs.
 */
import type { Command } from "commander";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { Agent } from "../agent/server.ts";
import { readTokenFile } from "../agent/security.ts";
import { CliError, ExitCode } from "./exit-codes.ts";
import { emulateFromFlags } from "./flags.ts";

interface ServeFlags {
  listen: string;
  tokenFile?: string;
  profilesDir: string;
  results: string;
  tlsCert?: string;
  tlsKey?: string;
  insecure?: boolean;
  server?: string;
  emulate?: boolean;
  dut: string;
  timeScale: string;
  seed: string;
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("serve")
    .description("run the gRPC agent that executes benchmarks for remote CI runners")
    .option("--listen <host:port>", "address to listen on", "127.0.0.1:50051")
    .option("--token-file <file>", "file holding the bearer token clients must send (required)")
    .option(
      "--profiles-dir <dir>",
      "the only directory profiles are taken from (by name)",
      "profiles",
    )
    .option("--results <dir>", "where run directories are written", "results")
    .option("--tls-cert <file>", "TLS certificate (PEM)")
    .option("--tls-key <file>", "TLS private key (PEM)")
    .option("--insecure", "allow a non-loopback address without TLS")
    .option("--server <host[:port]>", "the TRex server runs use", "127.0.0.1:4501")
    .option("--emulate", "run against the built-in emulator instead")
    .option("--dut <preset|file>", "emulated DUT", "default")
    .option("--time-scale <factor>", "emulator time scale", "0")
    .option("--seed <n>", "emulator seed", "1")
    .action(async (flags: ServeFlags) => {
      if (!flags.tokenFile)
        throw new CliError("--token-file is required: the agent runs code and must not be open");
      let token: string;
      try {
        token = readTokenFile(flags.tokenFile);
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      if (!existsSync(flags.profilesDir) || !statSync(flags.profilesDir).isDirectory()) {
        throw new CliError(`--profiles-dir ${flags.profilesDir} is not a directory`);
      }
      if (Boolean(flags.tlsCert) !== Boolean(flags.tlsKey))
        throw new CliError("--tls-cert and --tls-key go together");
      mkdirSync(flags.results, { recursive: true });
      const agent = new Agent({
        listen: flags.listen,
        token,
        profilesDir: resolve(flags.profilesDir),
        resultsDir: resolve(flags.results),
        target: flags.emulate ? { emulate: emulateFromFlags(flags) } : { server: flags.server! },
        tls:
          flags.tlsCert && flags.tlsKey
            ? { certPem: readFileSync(flags.tlsCert), keyPem: readFileSync(flags.tlsKey) }
            : undefined,
        insecure: flags.insecure === true,
      });
      let address: string;
      try {
        address = await agent.start();
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      process.stdout.write(
        `agent listening on ${address} (${flags.tlsCert ? "TLS" : "plain text"})\n`,
      );
      await new Promise<void>((done) => {
        const stop = () => {
          process.stdout.write(
            "stopping: cancelling the running benchmark and releasing its ports\n",
          );
          void agent.stop().then(done);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      setExit(ExitCode.ok);
    });
}
