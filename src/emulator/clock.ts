/**
 * The emulator's one clock, in model seconds: the `ts` of `start_traffic` and `ping`, trial
 * starts, ends and pauses all read it, so a client measuring a trial by the server's clock sees
 * exactly the modelled transmit time.
 *
 * The clock runs only while traffic is under way (some port has a trial, running or paused)
 * and stands at the modelled end of the last trial otherwise, so `ping.ts − start.ts` read once
 * the port is idle is the transmit time, however late the client looks. While it runs, at time
 * scale F > 0 it follows real time: model seconds = real seconds / F (a trial of d s lasts d·F
 * real seconds); at time scale 0 it jumps: when a trial is over it moves to the trial's end.
 */
export class ModelClock {
  /** Model seconds shown while no traffic runs, and where the running clock started from. */
  private anchorS: number;
  private anchorRealMs: number;
  private running = false;
  /** The latest modelled end of the trials that ended while the clock ran. */
  private lastEndS = -Infinity;
  /** While one request message is answered: the instant all its calls read. */
  private heldS: number | null = null;

  constructor(
    readonly timeScale: number,
    private readonly realNowMs: () => number,
  ) {
    this.anchorRealMs = realNowMs();
    // TRex's ts is a server time, never 0.
    this.anchorS = Math.round(this.anchorRealMs) / 1000;
  }

  /** True when the clock moves only from one trial's end to the next (time scale 0). */
  get frozen(): boolean {
    return this.timeScale === 0;
  }

  nowS(): number {
    if (this.heldS !== null) return this.heldS;
    if (this.frozen || !this.running) return this.anchorS;
    return this.anchorS + (this.realNowMs() - this.anchorRealMs) / (this.timeScale * 1000);
  }

  /**
   * Runs `fn` with the clock held at one instant, so the calls of one batch (counters, state,
   * ping) agree with each other.
   */
  atOneInstant<T>(fn: () => T): T {
    if (this.heldS !== null) return fn();
    this.heldS = this.nowS();
    try {
      return fn();
    } finally {
      this.heldS = null;
    }
  }

  /** Traffic starts: the clock runs from where it stands (time scale > 0). */
  trafficStarted(): void {
    if (this.frozen || this.running) return;
    this.anchorRealMs = this.realNowMs();
    this.running = true;
  }

  /** At time scale 0: moves the clock forward to `modelS` (never back). */
  reach(modelS: number): void {
    if (!this.frozen || modelS <= this.anchorS) return;
    this.anchorS = modelS;
    if (this.heldS !== null) this.heldS = modelS;
  }

  /**
   * A trial stopped transmitting at model time `endS`. Without traffic left the clock stops at
   * the latest such end (never later than now, never back).
   */
  trialEnded(endS: number, trafficLeft: boolean): void {
    if (this.frozen) return this.reach(endS);
    this.lastEndS = Math.max(this.lastEndS, endS);
    if (trafficLeft || !this.running) return;
    this.anchorS = Math.max(this.anchorS, Math.min(this.lastEndS, this.nowS()));
    this.running = false;
    this.lastEndS = -Infinity;
    if (this.heldS !== null) this.heldS = this.anchorS;
  }

  /** The real time (ms, of `realNowMs`) at which the running clock shows `modelS`. */
  realMsAt(modelS: number): number {
    return this.anchorRealMs + (modelS - this.anchorS) * this.timeScale * 1000;
  }
}
