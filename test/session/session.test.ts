/**
 * Opening a run's server session (src/session): the emulator, a server by address, never a
 * fallback from one to the other, and what each failure means as an exit status.
 */
import { writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startEmulator } from "../../src/emulator/index.ts";
import { ExitCode, RunSetupError } from "../../src/runner/exit-code.ts";
import { exitStatusOf } from "../../src/runner/exit-status.ts";
import {
  openSession,
  TrexStartError,
  withSession,
  type ServerSession,
} from "../../src/session/index.ts";
import { TrexConnectionError } from "../../src/trex/index.ts";
import { tempDir } from "../runner/helpers.ts";

const EMULATE = { dut: "ideal", timeScale: 0, seed: 1 };

/** True when something accepts TCP connections at a tcp://host:port address. */
function accepts(address: string): Promise<boolean> {
  const [, host, port] = /^tcp:\/\/(.+):(\d+)$/.exec(address)!;
  return new Promise((done) => {
    const socket = connect({ host, port: Number(port) });
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}

/** True once nothing accepts at the address any more (ZMQ unbinds in its own thread). */
async function stopsAccepting(address: string, withinMs = 3000): Promise<boolean> {
  for (const deadline = Date.now() + withinMs; Date.now() < deadline;) {
    if (!(await accepts(address))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe("openSession", () => {
  it("starts the emulator on an ephemeral port, describes it, and stops it on close", async () => {
    const session = await openSession({ emulate: EMULATE, server: null }, { outDir: tempDir() });
    expect(session.description).toMatchObject({ kind: "emulator", dut: "ideal" });
    expect(session.address).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(session.address).not.toMatch(/:4501$/);
    expect(session.rxDrainMs).toBe(0);
    expect(session.client.ports.map((p) => p.speedBps)).toEqual([10e9, 10e9]);
    expect(await accepts(session.address)).toBe(true);
    await session.close();
    await expect(session.client.ping()).rejects.toThrow(/disconnected/);
    expect(await stopsAccepting(session.address)).toBe(true);
  });

  it("connects to a server by address, with a drain for packets still in a real DUT", async () => {
    const emulator = await startEmulator({ rpcPort: 0, asyncPort: 0, timeScale: 0 });
    try {
      const target = { emulate: null, server: emulator.rpcUrl };
      const session = await openSession(target, { outDir: tempDir() });
      expect(session.description).toMatchObject({ kind: "trex", address: emulator.rpcUrl });
      expect(session.rxDrainMs).toBe(250);
      await session.close();
      // Closing a session to a server it did not start leaves that server running.
      expect(await accepts(emulator.rpcUrl)).toBe(true);
    } finally {
      await emulator.stop();
    }
  });

  it("never falls back to the emulator when the server does not answer (exit 3)", async () => {
    const target = { emulate: null, server: "127.0.0.1:1" };
    const err = await openSession(target, { outDir: tempDir() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrexConnectionError);
    expect(exitStatusOf(err)).toBe(ExitCode.server);
  });

  it("refuses a DUT file that is not valid as bad input (exit 2), naming the file", async () => {
    const dut = join(tempDir(), "dut.yaml");
    writeFileSync(dut, "capacity:\n  basePps: -5\n");
    const target = { emulate: { ...EMULATE, dut }, server: null };
    const err = await openSession(target, { outDir: tempDir() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunSetupError);
    expect((err as Error).message).toContain(dut);
    expect(exitStatusOf(err)).toBe(ExitCode.usage);
  });

  it("names a --trex-dir that does not exist (exit 3)", async () => {
    const target = { emulate: null, server: null, trexDir: "/no/such/trex" };
    const err = await openSession(target, { outDir: tempDir() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrexStartError);
    expect((err as Error).message).toBe("TRex directory /no/such/trex not found (--trex-dir)");
    expect(exitStatusOf(err)).toBe(ExitCode.server);
  });
});

describe("withSession", () => {
  it("closes the session when the work throws", async () => {
    let used: ServerSession | undefined;
    const work = withSession({ emulate: EMULATE, server: null }, { outDir: tempDir() }, (s) => {
      used = s;
      return Promise.reject(new Error("the run failed"));
    });
    await expect(work).rejects.toThrow("the run failed");
    await expect(used!.client.ping()).rejects.toThrow(/disconnected/);
    expect(await stopsAccepting(used!.address)).toBe(true);
  });
});
