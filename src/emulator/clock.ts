/**
 * The emulator's one clock, in model seconds: the `ts` of `start_traffic` and `ping`, trial
 * starts, ends and pauses all read it, so a client measuring a trial by the server's clock sees
 * exactly the modelled transmit time.
 *
 * At time scale F > 0 it follows real time: model seconds = real seconds / F. At time scale 0
 * it advances only by modelled traffic: when a trial is over, the clock is moved to its end.
 */
export class ModelClock {
  private readonly originRealMs: number;
  /** Model seconds at the origin (TRex's ts is a server time, never 0). */
  private readonly originS: number;
  /** At time scale 0: the latest modelled end reached so far. */
  private reachedS: number;
  /** While one request message is answered: the instant all its calls read. */
  private heldS: number | null = null;

  constructor(
    readonly timeScale: number,
    private readonly realNowMs: () => number,
  ) {
    this.originRealMs = realNowMs();
    this.originS = Math.round(this.originRealMs) / 1000;
    this.reachedS = this.originS;
  }

  /** True when the clock stands still between trials (time scale 0). */
  get frozen(): boolean {
    return this.timeScale === 0;
  }

  nowS(): number {
    if (this.frozen) return this.reachedS;
    return (
      this.heldS ?? this.originS + (this.realNowMs() - this.originRealMs) / (this.timeScale * 1000)
    );
  }

  /**
   * Runs `fn` with the clock held at one instant, so the calls of one batch (counters, state,
   * ping) agree with each other. At time scale 0 the clock moves only by reach() anyway.
   */
  atOneInstant<T>(fn: () => T): T {
    if (this.heldS !== null || this.frozen) return fn();
    this.heldS = this.nowS();
    try {
      return fn();
    } finally {
      this.heldS = null;
    }
  }

  /** At time scale 0: moves the clock forward to `modelS` (never back). */
  reach(modelS: number): void {
    if (this.frozen && modelS > this.reachedS) this.reachedS = modelS;
  }

  /** The real time (ms, of `realNowMs`) at which the clock shows `modelS`; time scale > 0 only. */
  realMsAt(modelS: number): number {
    return this.originRealMs + (modelS - this.originS) * this.timeScale * 1000;
  }
}
