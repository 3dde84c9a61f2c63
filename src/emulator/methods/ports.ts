/** Ports: what they are, their status and attributes, service mode, capture. */
import { hostname } from "node:os";
import type { JsonObject } from "../json-text.ts";
import {
  executeErr,
  optBool,
  optNumber,
  parseBool,
  parseChoice,
  parseNumber,
  parseObject,
  parseProfile,
} from "../params.ts";
import { DP_CORES_PER_PORT, TREX_545, type BoxState, type Port } from "../state.ts";
import { common, stl, type MethodTable } from "./method.ts";

function macOf(portId: number): string {
  return `00:00:00:01:00:${portId.toString(16).padStart(2, "0")}`;
}

/**
 * attr.layer_cfg as CStackBase::attr_to_json writes it: L2 with the peer's MAC, or L3 with its
 * addresses and, unresolved, an invalid destination MAC (the real server then shows whatever
 * bytes it holds; the emulator shows zeros).
 */
function layerCfg(port: Port, peer: Port): JsonObject {
  const l3 = port.unresolvedL3;
  return {
    ether: l3
      ? { src: macOf(port.id), dst: "00:00:00:00:00:00", state: "unconfigured" }
      : { src: macOf(port.id), dst: macOf(peer.id), state: "configured" },
    ipv4: l3 ? { src: l3.ip, dst: l3.defaultGw, state: "unresolved" } : { state: "none" },
    ipv6: { enabled: false },
  };
}

/**
 * TrexRpcCmdSetServiceMode on NICs with hardware flow stats: they filter in hardware, and
 * service mode does not start while any port transmits flow-stats streams.
 */
function checkHwServiceMode(box: BoxState, enabled: boolean, filtered: boolean): void {
  if (filtered) throw executeErr("TRex must be at --software mode for filtered service!");
  const busy = enabled && box.ports.find((port) => box.isRunningFlowStats(port));
  if (busy) throw executeErr(`port ${busy.id} is using flow_stats. (see ${TREX_545})`);
}

export const portMethods: MethodTable = {
  get_system_info: common((_p, box) => ({
    hostname: hostname(),
    uptime: box.startedAt.toString(),
    dp_core_count: box.ports.length * DP_CORES_PER_PORT,
    dp_core_count_per_port: DP_CORES_PER_PORT * 2,
    core_type: "autotrex emulator",
    is_multiqueue_mode: false,
    advanced_per_stream_stats: true,
    port_count: box.ports.length,
    ports: box.ports.map((port) => ({
      index: port.id,
      driver: "net_autotrex_emu",
      pci_addr: `0000:00:${String(port.id).padStart(2, "0")}.0`,
      numa: 0,
      hw_mac: macOf(port.id),
      stack: "legacy",
      description: "autotrex emulated port",
      rx: { caps: ["flow_stats", "latency", "rx_bytes"], counters: 127 },
      is_fc_supported: false,
      is_led_supported: false,
      is_link_supported: false,
      is_prom_supported: true,
      is_vxlan_supported: false,
      is_ieee1588_supported: false,
      is_virtual: false,
      supp_speeds: [port.speedGbps * 1000],
      cores: [port.id],
    })),
  })),
  get_port_status: common((p, box) => {
    const port = box.parsePort(p);
    optBool(p, "block", true);
    const profileId = parseProfile(p, "");
    const res: JsonObject = {
      owner: port.owner?.name ?? "",
      state: box.portStateName(port),
      service: port.service,
      service_filtered: false,
      profile_count: port.profiles.size,
      max_stream_id: box.maxStreamId(port),
      attr: {
        speed: port.linkUp ? port.speedGbps : 0,
        link: { up: port.linkUp },
        promiscuous: { enabled: port.promiscuous },
        multicast: { enabled: false },
        rx_filter_mode: "hw",
        vxlan_fs: [],
        fc: { mode: 0 },
        vlan: { tags: [] },
        layer_cfg: layerCfg(port, box.peer(port)),
      },
      rx_info: {
        latency: { is_active: false },
        queue: { is_active: false },
        stack: { is_active: true },
        grat_arp: { is_active: false },
        capture_port: { is_active: false },
        capwap_proxy: { is_active: false },
      },
    };
    if (profileId !== "") {
      const sp: JsonObject = {};
      for (const profile of port.profiles.values()) {
        if (profileId === "*" || profileId === profile.id) {
          sp[profile.id] = box.profileState(profile);
        }
      }
      res.state_profile = sp;
    }
    return res;
  }),
  set_port_attr: common((p, box) => {
    const port = box.parsePort(p);
    const attr = parseObject(p, "attr");
    for (const name of Object.keys(attr)) {
      if (name === "promiscuous") port.promiscuous = parseBool(attr[name], "enabled");
      else if (name === "multicast") parseBool(attr[name], "enabled");
      else if (name === "link_status") parseBool(attr[name], "up");
      else if (name === "led_status") parseBool(attr[name], "on");
      else if (name === "flow_ctrl_mode") parseNumber(attr[name], "mode", "int");
      else if (name === "vxlan_fs")
        throw executeErr("VXLAN flow stats are relevant only to stateless mode");
      else throw executeErr(`unknown attribute type: '${name}'`);
    }
    return {};
  }),
  set_rx_feature: common((p, box) => {
    const port = box.parsePort(p);
    const type = parseChoice(p, "type", ["queue", "server", "capwap_proxy"] as const);
    const enabled = parseBool(p, "enabled");
    if (type === "queue" && enabled) {
      parseNumber(p, "size", "uint32");
      if (!port.service) throw executeErr("setting RX queue is only available under service mode");
    }
    return {};
  }),
  service: stl((p, box) => {
    const port = box.parsePort(p);
    const enabled = parseBool(p, "enabled");
    const filtered = optBool(p, "filtered", false);
    optNumber(p, "mask", "byte", 0);
    if (box.hwFlowStats) checkHwServiceMode(box, enabled, filtered);
    port.service = enabled;
    return {};
  }, "owned"),
  capture: common((p) => {
    const cmd = parseChoice(p, "command", ["start", "stop", "fetch", "status", "remove"] as const);
    if (cmd === "status") return [];
    if (cmd === "remove" || cmd === "stop" || cmd === "fetch") {
      const id = parseNumber(p, "capture_id", "uint32");
      throw executeErr(`unable to find capture ID ${id}`);
    }
    throw executeErr("capture is not supported by the autotrex emulator");
  }),
};
