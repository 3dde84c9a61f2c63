/**
 * Frame-size and line-rate arithmetic. A frame size S counts the Ethernet header to the FCS
 * inclusive; on the wire each frame also costs 20 bytes of preamble (7), SFD (1) and
 * inter-frame gap (12).
 */

/** Preamble + SFD + inter-frame gap, in bytes. */
export const L1_OVERHEAD_BYTES = 20;
/** Ethernet frame check sequence: counted in the frame size, not in the packet given to TRex. */
export const FCS_BYTES = 4;
export const MIN_FRAME_SIZE = 64;
export const MAX_FRAME_SIZE = 9216;

/** The original tool's sweep (RFC 2544 sizes plus jumbo). */
export const DEFAULT_FRAME_SIZES: readonly number[] = [
  64, 128, 256, 512, 1024, 1280, 1518, 2048, 4096, 8192, 9216,
];

/** Bits one frame of `frameSize` bytes takes on the wire (L1). */
export function l1BitsPerFrame(frameSize: number): number {
  return (frameSize + L1_OVERHEAD_BYTES) * 8;
}

/** Bits of one frame counted at L2 (header to FCS). */
export function l2BitsPerFrame(frameSize: number): number {
  return frameSize * 8;
}

/** Theoretical maximum packet rate of a link: speed / ((S + 20) * 8). */
export function lineRatePps(speedBps: number, frameSize: number): number {
  return speedBps / l1BitsPerFrame(frameSize);
}

export function l1Bps(ratePps: number, frameSize: number): number {
  return ratePps * l1BitsPerFrame(frameSize);
}

export function l2Bps(ratePps: number, frameSize: number): number {
  return ratePps * l2BitsPerFrame(frameSize);
}

/** Bytes of the packet handed to TRex (FCS excluded) for a frame size. */
export function packetBytesForFrame(frameSize: number): number {
  return frameSize - FCS_BYTES;
}

/** The mean frame size of a mix of streams, weighted by each stream's packet rate. */
export function meanFrameSize(
  streams: ReadonlyArray<{ frameSize: number; ratePps: number }>,
): number {
  let pps = 0;
  let bytes = 0;
  for (const s of streams) {
    pps += s.ratePps;
    bytes += s.ratePps * s.frameSize;
  }
  if (pps <= 0) throw new RangeError("meanFrameSize: total rate must be positive");
  return bytes / pps;
}

export interface LossFigures {
  /** (tx - rx) / tx, never negative. */
  lossRatio: number;
  /** rx > tx: the receiver counted packets that were not sent by this trial. */
  strayPackets: number;
}

/** Loss of a trial from the counters of the traffic under test. */
export function lossFigures(txPackets: number, rxPackets: number): LossFigures {
  // Nothing sent counts as total loss; callers mark such a trial invalid anyway.
  if (txPackets <= 0) return { lossRatio: 1, strayPackets: Math.max(0, rxPackets) };
  const lost = txPackets - rxPackets;
  return { lossRatio: Math.max(0, lost) / txPackets, strayPackets: Math.max(0, -lost) };
}

/** Validates a frame size, returning a message that names it when it is out of range. */
export function frameSizeProblem(frameSize: number): string | undefined {
  if (!Number.isInteger(frameSize)) return `frame size ${frameSize} is not a whole number of bytes`;
  if (frameSize < MIN_FRAME_SIZE || frameSize > MAX_FRAME_SIZE) {
    return `frame size ${frameSize} B is outside ${MIN_FRAME_SIZE}..${MAX_FRAME_SIZE} B`;
  }
  return undefined;
}
