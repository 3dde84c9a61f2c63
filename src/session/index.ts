/** Opening the server session a run uses: by address, a local `t-rex-64`, or the emulator. */
export {
  checkDut,
  DEFAULT_SERVER,
  DEFAULT_TREX_CFG,
  openSession,
  withSession,
  type ServerSession,
  type ServerTarget,
  type SessionOptions,
} from "./session.ts";
export { TrexStartError } from "./local-trex.ts";
