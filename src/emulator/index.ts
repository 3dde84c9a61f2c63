/**
 * `autotrex emulate` as a library: a TRex-compatible stateless server over real ZMQ sockets
 * with the modelled DUT of dut-model.ts behind its ports. The server starts in server.ts; the
 * methods live in methods/*.ts over the state of state.ts (docs/dut-model.md).
 */
export { startEmulator, type EmulatorOptions, type RunningEmulator } from "./server.ts";
export {
  DUT_FIELD_RANGES,
  DUT_PRESET_NAMES,
  DutSpecError,
  FRAME_SIZE_STEP_RANGES,
  GENERATOR_FIELD_RANGES,
  loadDutSpec,
  parseDutParams,
} from "./dut-spec.ts";
export type { DutParams, DutPresetName, GeneratorParams } from "./dut-model.ts";
export { FaultSpecError, loadFaults, parseFaults, type FaultSpec } from "./faults.ts";
export { portModelSeed, API_MAJOR, API_MINOR, type PortStateName } from "./trex-box.ts";
export { compressMessage, decompressMessage, MAX_RPC_MSG_LEN, ZIP_MAGIC } from "./rpc.ts";
