/**
 * Validation of a TRex server configuration (trex_cfg.yaml), so a typo is caught before
 * t-rex-64 is started on a testbed: each problem names its key path and line.
 */
import { isMap, isSeq, LineCounter, parseDocument, type Node } from "yaml";

export interface ConfigProblem {
  /** e.g. "[0].port_info[1].default_gw" */
  path: string;
  line: number | null;
  message: string;
}

const PCI_ADDRESS = /^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$/;
// Linux interface names: 1..15 characters, no '/', ':' or white space.
const INTERFACE_NAME = /^[^\s/:]{1,15}$/;
const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
// A DPDK virtual device, as TRex passes it on: "--vdev=net_af_packet0,iface=veth0,framecnt=4096".
const VDEV = /^--vdev=net_[a-z_]+\d*(,[a-z_]+=[^,\s]+)*$/;
/** TRex's placeholder for a port that is not wired: may appear more than once. */
const DUMMY = "dummy";
/** A TRex config is a few KiB: a larger file is refused before it is parsed. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** YAML aliases allowed in one file: enough for any real config, far below a "billion laughs". */
const MAX_ALIAS_COUNT = 100;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Validates the text of a trex_cfg.yaml; an empty list means it is fine. */
export function validateTrexConfig(text: string): ConfigProblem[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const problems: ConfigProblem[] = [];
  for (const err of doc.errors) {
    problems.push({
      path: "",
      line: lineCounter.linePos(err.pos[0]).line,
      message: `YAML syntax: ${err.message.split("\n")[0]}`,
    });
  }
  if (problems.length > 0) return problems;

  const lineOf = (path: Array<string | number>): number | null => {
    const node = doc.getIn(path, true) as Node | undefined;
    const offset = node?.range?.[0];
    return offset === undefined ? null : lineCounter.linePos(offset).line;
  };
  const report = (path: Array<string | number>, message: string): void => {
    const text = path
      .map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`))
      .join("")
      .replace(/^\./, "");
    problems.push({ path: text, line: lineOf(path), message });
  };

  let root: Json;
  try {
    root = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as Json;
  } catch (err) {
    // yaml's ReferenceError for an alias bomb ("Excessive alias count…")
    problems.push({
      path: "",
      line: null,
      message: `YAML: ${(err as Error).message.split("\n")[0]} (more than ${MAX_ALIAS_COUNT} aliases expanded)`,
    });
    return problems;
  }
  if (!Array.isArray(root) || root.length === 0 || !isSeq(doc.contents)) {
    report(
      [],
      "the file must be a YAML list with one mapping per TRex instance (start the line with '- ')",
    );
    return problems;
  }
  root.forEach((entry, i) => {
    if (
      typeof entry !== "object" ||
      entry === null ||
      Array.isArray(entry) ||
      !isMap(doc.getIn([i], true))
    ) {
      report([i], "expected a mapping with version, interfaces, port_limit, port_info");
      return;
    }
    validateInstance(entry, [i], report);
  });
  return problems;
}

function validateInstance(
  cfg: { [key: string]: Json },
  at: Array<string | number>,
  report: (path: Array<string | number>, message: string) => void,
): void {
  if (cfg.version !== 2)
    report([...at, "version"], `version must be 2, got ${JSON.stringify(cfg.version ?? null)}`);

  const interfaces = cfg.interfaces;
  let interfaceCount = 0;
  if (!Array.isArray(interfaces)) {
    report([...at, "interfaces"], "interfaces must be a list of PCI addresses or interface names");
  } else {
    interfaceCount = interfaces.length;
    if (interfaceCount === 0 || interfaceCount % 2 !== 0) {
      report([...at, "interfaces"], `interfaces must come in pairs (tx/rx), got ${interfaceCount}`);
    }
    const seen = new Set<string>();
    interfaces.forEach((name, k) => {
      if (
        typeof name !== "string" ||
        !(PCI_ADDRESS.test(name) || INTERFACE_NAME.test(name) || VDEV.test(name) || name === DUMMY)
      ) {
        report(
          [...at, "interfaces", k],
          `${JSON.stringify(name)} is neither a PCI address (03:00.0), an interface name, a --vdev=… device nor dummy`,
        );
      } else if (seen.has(name) && name !== DUMMY) {
        report([...at, "interfaces", k], `${name} is listed twice`);
      }
      if (typeof name === "string") seen.add(name);
    });
  }

  const portLimit = cfg.port_limit;
  if (portLimit !== undefined) {
    if (
      typeof portLimit !== "number" ||
      !Number.isInteger(portLimit) ||
      portLimit <= 0 ||
      portLimit % 2 !== 0
    ) {
      report(
        [...at, "port_limit"],
        `port_limit must be a positive even number, got ${JSON.stringify(portLimit)}`,
      );
    } else if (interfaceCount > 0 && portLimit > interfaceCount) {
      report(
        [...at, "port_limit"],
        `port_limit ${portLimit} is more than the ${interfaceCount} interfaces listed`,
      );
    }
  }
  const ports =
    typeof portLimit === "number"
      ? Math.min(portLimit, interfaceCount || portLimit)
      : interfaceCount;

  const portInfo = cfg.port_info;
  if (portInfo !== undefined) {
    if (!Array.isArray(portInfo)) {
      report([...at, "port_info"], "port_info must be a list, one entry per port");
    } else {
      if (ports > 0 && portInfo.length < ports) {
        report([...at, "port_info"], `port_info has ${portInfo.length} entries for ${ports} ports`);
      }
      portInfo.forEach((info, k) => validatePortInfo(info, [...at, "port_info", k], report));
    }
  }

  const platform = cfg.platform;
  if (platform !== undefined) validatePlatform(platform, [...at, "platform"], report);
  validateScalars(cfg, at, report);
}

type ScalarKind = "boolean" | "string" | "tcpPort" | "count" | "cpu" | "positive";

/** The scalar keys of the TRex manual's examples and what each must hold; others pass as is. */
const SCALAR_KEYS: Readonly<Record<string, ScalarKind>> = {
  c: "count",
  prefix: "string",
  limit_memory: "count",
  zmq_pub_port: "tcpPort",
  zmq_rpc_port: "tcpPort",
  telnet_port: "tcpPort",
  enable_zmq_pub: "boolean",
  low_end: "boolean",
  low_end_core: "cpu",
  port_speed: "positive",
  port_bandwidth_gb: "positive",
  new_memory: "boolean",
};

const SCALAR_CHECKS: Readonly<Record<ScalarKind, [(v: Json) => boolean, string]>> = {
  boolean: [(v) => typeof v === "boolean", "true or false"],
  string: [(v) => typeof v === "string" && v !== "", "a non-empty string"],
  tcpPort: [
    (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535,
    "a TCP port (1..65535)",
  ],
  count: [(v) => Number.isInteger(v) && (v as number) >= 1, "a positive integer"],
  cpu: [(v) => Number.isInteger(v) && (v as number) >= 0, "a CPU number"],
  positive: [(v) => typeof v === "number" && Number.isFinite(v) && v > 0, "a positive number"],
};

function validateScalars(
  cfg: { [key: string]: Json },
  at: Array<string | number>,
  report: (path: Array<string | number>, message: string) => void,
): void {
  for (const [key, kind] of Object.entries(SCALAR_KEYS)) {
    const v = cfg[key];
    const [ok, expected] = SCALAR_CHECKS[kind];
    if (v !== undefined && !ok(v))
      report([...at, key], `${key} must be ${expected}, got ${JSON.stringify(v)}`);
  }
  const { zmq_rpc_port: rpc, zmq_pub_port: pub } = cfg;
  if (rpc !== undefined && rpc === pub)
    report(
      [...at, "zmq_pub_port"],
      `zmq_pub_port and zmq_rpc_port are both ${JSON.stringify(rpc)}`,
    );
}

function validatePortInfo(
  info: Json,
  at: Array<string | number>,
  report: (path: Array<string | number>, message: string) => void,
): void {
  if (typeof info !== "object" || info === null || Array.isArray(info)) {
    report(at, "expected a mapping with ip/default_gw or dest_mac/src_mac");
    return;
  }
  for (const key of ["dest_mac", "src_mac"]) {
    const v = info[key];
    if (v !== undefined && !isMac(v))
      report(
        [...at, key],
        `${JSON.stringify(v)} is not a MAC address ("00:11:22:33:44:55" or [0x0,0x11,0x22,0x33,0x44,0x55])`,
      );
  }
  for (const key of ["ip", "default_gw"]) {
    const v = info[key];
    if (v !== undefined && (typeof v !== "string" || !IPV4.test(v)))
      report([...at, key], `${JSON.stringify(v)} is not an IPv4 address`);
  }
  const l3 = info.ip !== undefined || info.default_gw !== undefined;
  if (l3 && (info.ip === undefined || info.default_gw === undefined)) {
    report(at, "ip and default_gw go together (L3 mode)");
  }
  if (!l3 && info.dest_mac === undefined) {
    report(at, "needs either ip + default_gw (L3) or dest_mac (L2)");
  }
}

/** A MAC as TRex reads it: "aa:bb:cc:dd:ee:ff" or a list of six bytes (the manual's form). */
function isMac(v: Json): boolean {
  if (typeof v === "string") return MAC.test(v);
  return (
    Array.isArray(v) &&
    v.length === 6 &&
    v.every((b) => typeof b === "number" && Number.isInteger(b) && b >= 0 && b <= 255)
  );
}

function validatePlatform(
  platform: Json,
  at: Array<string | number>,
  report: (path: Array<string | number>, message: string) => void,
): void {
  if (typeof platform !== "object" || platform === null || Array.isArray(platform)) {
    report(at, "platform must be a mapping");
    return;
  }
  const used = new Map<number, string>();
  const claim = (cpu: Json, path: Array<string | number>): void => {
    const name = path.slice(at.length).join(".");
    if (typeof cpu !== "number" || !Number.isInteger(cpu) || cpu < 0) {
      report(path, `${JSON.stringify(cpu)} is not a CPU number`);
      return;
    }
    const other = used.get(cpu);
    if (other !== undefined)
      report(path, `CPU ${cpu} is already used by ${other}; every thread needs its own CPU`);
    else used.set(cpu, name);
  };
  for (const key of ["master_thread_id", "latency_thread_id"]) {
    if (platform[key] === undefined) report([...at, key], `${key} is missing`);
    else claim(platform[key], [...at, key]);
  }
  const dualIf = platform.dual_if;
  if (!Array.isArray(dualIf) || dualIf.length === 0) {
    report([...at, "dual_if"], "dual_if must list the sockets and worker threads");
    return;
  }
  dualIf.forEach((entry, k) => {
    const threads =
      typeof entry === "object" && entry !== null && !Array.isArray(entry)
        ? entry.threads
        : undefined;
    if (!Array.isArray(threads) || threads.length === 0) {
      report([...at, "dual_if", k, "threads"], "threads must be a non-empty list of CPUs");
      return;
    }
    threads.forEach((cpu, t) => claim(cpu, [...at, "dual_if", k, "threads", t]));
  });
}
