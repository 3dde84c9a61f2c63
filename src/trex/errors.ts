/** Typed failures of a conversation with a TRex server; all extend TrexError. */

export class TrexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrexError";
  }
}

/** Nothing answers at the address (a ZMQ connect never fails by itself: the first request times out). */
export class TrexConnectionError extends TrexError {
  constructor(
    readonly address: string,
    detail?: string,
  ) {
    super(`no TRex server answering at ${address}${detail ? ` (${detail})` : ""}`);
    this.name = "TrexConnectionError";
  }
}

/** A request got no reply in time, after the socket was recreated and the retries were spent. */
export class TrexTimeoutError extends TrexError {
  constructor(
    readonly method: string,
    readonly timeoutMs: number,
    readonly attempts: number,
    readonly address: string,
  ) {
    super(
      `TRex at ${address} did not answer '${method}' within ${timeoutMs} ms` +
        (attempts > 1 ? ` (${attempts} attempts)` : ""),
    );
    this.name = "TrexTimeoutError";
  }
}

/** The server answered with a JSON-RPC error; `specificErr` is its detailed text, when given. */
export class TrexRpcError extends TrexError {
  constructor(
    readonly method: string,
    readonly code: number,
    readonly rpcMessage: string,
    readonly specificErr?: string,
    /** The port the request was about, when it was port-scoped. */
    readonly portId?: number,
  ) {
    const where = portId === undefined ? "" : ` on port ${portId}`;
    const text = specificErr ?? rpcMessage;
    // Our handler went stale: someone acquired the port over us.
    const taken = /not owned by you/.test(text)
      ? " (someone took the port, e.g. with --force)"
      : "";
    super(`TRex '${method}'${where} failed (${code}): ${text}${taken}`);
    this.name = "TrexRpcError";
  }
}

/** Server and client do not speak the same RPC API (name or version). */
export class TrexVersionError extends TrexError {
  constructor(message: string) {
    super(message);
    this.name = "TrexVersionError";
  }
}

/** The reply was not valid JSON-RPC (not JSON, wrong framing, no result nor error). */
export class TrexProtocolError extends TrexError {
  constructor(message: string) {
    super(message);
    this.name = "TrexProtocolError";
  }
}

/** A port belongs to another user or session; taking it needs an explicit `force`. */
export class PortOwnedError extends TrexError {
  constructor(
    readonly port: number,
    readonly owner: string,
  ) {
    super(
      `port ${port} is owned by '${owner}'; not taking it over (--force takes it and ends their test)`,
    );
    this.name = "PortOwnedError";
  }
}

/** A counter went backwards between two snapshots: the server restarted or the port was reset. */
export class CounterResetError extends TrexError {
  constructor(
    readonly port: number,
    readonly counter: string,
  ) {
    super(`port ${port}: counter ${counter} went backwards between two readings (TRex restarted?)`);
    this.name = "CounterResetError";
  }
}
