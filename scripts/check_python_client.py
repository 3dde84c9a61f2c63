#!/usr/bin/python3
"""Drives TRex's own STLClient against `autotrex emulate` and checks its counters against
the DUT model (docs: README "Checking the emulator with TRex's Python client").

Run through scripts/check-python-client.sh, which sets up the import path of a trex-core
checkout. Arguments: --server, --sync-port, --async-port, --pps, --duration, --frame-size,
--dut (ideal|default|software: the deterministic presets whose rx can be checked exactly;
software has a generator ceiling, so a trial above it transmits longer than asked).
"""
import argparse
import math
import sys
import time

from trex.stl.api import STLClient, STLStream, STLPktBuilder, STLTXCont
from scapy.layers.l2 import Ether
from scapy.layers.inet import IP, UDP

# Mirrors src/emulator/dut-model.ts for the jitter-free, loss-free presets.
PRESETS = {
    "ideal": dict(speed_gbps=10, per_packet_ns=0, per_byte_ns=0, buffer_packets=0),
    "default": dict(speed_gbps=10, per_packet_ns=200, per_byte_ns=0.5, buffer_packets=4096),
    "software": dict(speed_gbps=10, per_packet_ns=200, per_byte_ns=0.5, buffer_packets=4096,
                     max_pps=600_000, max_l1_bps=4.92e9),
}


def model(dut, rate_pps, duration_s, frame_size):
    p = PRESETS[dut]
    line = p["speed_gbps"] * 1e9 / ((frame_size + 20) * 8)
    t_ns = p["per_packet_ns"] + p["per_byte_ns"] * frame_size
    cap = min(line, 1e9 / t_ns) if t_ns > 0 else line
    r_eff = min(rate_pps, line)
    tx = int(math.floor(r_eff * duration_s + 0.5))
    # The generator's ceiling stretches the trial: the same packets over a longer time.
    ceiling = min(p.get("max_pps", math.inf), p.get("max_l1_bps", math.inf) / ((frame_size + 20) * 8))
    stretch = max(1.0, r_eff / ceiling)
    rx = min(tx, math.floor(cap * duration_s * stretch) + p["buffer_packets"])
    return tx, rx


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default="127.0.0.1")
    ap.add_argument("--sync-port", type=int, default=4501)
    ap.add_argument("--async-port", type=int, default=4500)
    ap.add_argument("--pps", type=float, default=1_000_000)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--frame-size", type=int, default=64)
    ap.add_argument("--dut", choices=sorted(PRESETS), default="default")
    a = ap.parse_args()

    c = STLClient(server=a.server, sync_port=a.sync_port, async_port=a.async_port,
                  verbose_level="error")
    failures = []
    try:
        c.connect()
        print("connected: server", c.get_server_version().get("version"))
        c.acquire(ports=[0, 1])
        c.reset(ports=[0, 1])
        c.remove_all_streams(ports=[0, 1])
        pad = max(0, a.frame_size - 4 - 42)
        pkt = STLPktBuilder(pkt=Ether() / IP(src="16.0.0.1", dst="48.0.0.1") /
                            UDP(sport=1025, dport=12) / ("x" * pad))
        ids = c.add_streams([STLStream(packet=pkt, mode=STLTXCont(pps=1))], ports=[0])
        print("add_streams ->", ids)
        c.clear_stats()
        started = time.monotonic()
        c.start(ports=[0], mult="%dpps" % a.pps if a.pps == int(a.pps) else "%fpps" % a.pps, duration=a.duration)
        c.wait_on_traffic(ports=[0])
        print("start .. wait_on_traffic: %.3f s wall" % (time.monotonic() - started))
        stats = c.get_stats()
        c.stop(ports=[0, 1])
        info = c.get_port_info(ports=[0, 1])
        c.release(ports=[0, 1])
    finally:
        c.disconnect()

    tx, rx = model(a.dut, a.pps, a.duration, a.frame_size)
    got = {
        "port 0 opackets": (stats[0]["opackets"], tx),
        "port 0 obytes": (stats[0]["obytes"], tx * a.frame_size),
        "port 1 ipackets": (stats[1]["ipackets"], rx),
        "port 1 ibytes": (stats[1]["ibytes"], rx * a.frame_size),
        "port 0 speed Gb/s": (info[0]["speed"], PRESETS[a.dut]["speed_gbps"]),
        "port 1 speed Gb/s": (info[1]["speed"], PRESETS[a.dut]["speed_gbps"]),
    }
    for name, (value, want) in got.items():
        ok = value == want
        print("%-18s %14s  model %14s  %s" % (name, value, want, "ok" if ok else "MISMATCH"))
        if not ok:
            failures.append(name)
    if failures:
        print("FAIL:", ", ".join(failures))
        return 1
    print("PASS: STLClient ran the whole sequence; counters equal the DUT model")
    return 0


if __name__ == "__main__":
    sys.exit(main())
