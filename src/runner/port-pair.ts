/**
 * The port pair a run uses, checked on the server's port readings before anything is acquired:
 * what would make the figures wrong or TRex refuse the traffic is one line, exit status 2.
 */
import { RunSetupError } from "./exit-code.ts";
import type { RunOptions } from "./types.ts";

/** What the check needs of a port (TrexClient.ports). */
export interface PortReading {
  portId: number;
  speedBps: number;
  linkUp?: boolean;
  resolved?: boolean;
}

/** The speed of a port that exists and has a link (a real TRex reports speed 0 without one). */
function linkSpeedBps(ports: ReadonlyArray<PortReading>, port: number, address: string): number {
  const info = ports.find((p) => p.portId === port);
  if (!info) {
    throw new RunSetupError(
      `port ${port} does not exist on ${address} (it has ports ${ports.map((p) => p.portId).join(", ")})`,
    );
  }
  if (info.linkUp === false || !(info.speedBps > 0)) {
    throw new RunSetupError(
      `port ${port} on ${address} has no link (link ${info.linkUp === false ? "down" : "up"}, speed ${info.speedBps / 1e9} Gb/s): check its cable or interface`,
    );
  }
  return info.speedBps;
}

/**
 * Checks the port pair before anything is acquired: both ports exist, differ, have a link, run
 * at the same speed (the line-rate figures assume it), and each sending port has a destination
 * MAC (TRex refuses to start the profile's streams otherwise). Returns the tx port's speed.
 */
export function checkPortPair(
  ports: ReadonlyArray<PortReading>,
  opts: Pick<RunOptions, "txPort" | "rxPort" | "allowSpeedMismatch"> & { bidirectional?: boolean },
  address: string,
): number {
  const txSpeed = linkSpeedBps(ports, opts.txPort, address);
  const rxSpeed = linkSpeedBps(ports, opts.rxPort, address);
  if (opts.txPort === opts.rxPort)
    throw new RunSetupError(`tx and rx port are both ${opts.txPort}`);
  if (txSpeed !== rxSpeed && !opts.allowSpeedMismatch) {
    throw new RunSetupError(
      `port ${opts.txPort} runs at ${txSpeed / 1e9} Gb/s but port ${opts.rxPort} at ${rxSpeed / 1e9} Gb/s; ` +
        "line-rate figures would be wrong (override with --allow-speed-mismatch)",
    );
  }
  for (const port of opts.bidirectional ? [opts.txPort, opts.rxPort] : [opts.txPort]) {
    if (ports.find((p) => p.portId === port)?.resolved === false) {
      throw new RunSetupError(
        `port ${port} on ${address} has no destination MAC: TRex could not resolve its default_gw by ARP (check that the DUT answers, or give dest_mac in the TRex config)`,
      );
    }
  }
  return txSpeed;
}
