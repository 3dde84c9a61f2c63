#!/usr/bin/python3
"""The Python side of bench/control.ts: the same trial with TRex's own STLClient.

Per trial: reset + add_streams + clear_stats (baseline) + start + wait_on_traffic + get_stats,
against an emulator at time scale 0. Prints one JSON line per stream count with every trial's
milliseconds. Needs PYTHONPATH=$TREX_CORE/scripts/automation/trex_control_plane/interactive.
"""
import argparse
import json
import time

from trex.stl.api import STLClient, STLStream, STLPktBuilder, STLTXCont
from scapy.layers.l2 import Ether
from scapy.layers.inet import IP, UDP


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default="127.0.0.1")
    ap.add_argument("--sync-port", type=int, required=True)
    ap.add_argument("--async-port", type=int, required=True)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--counts", default="1,254")
    ap.add_argument("--pps", type=float, default=1e6)
    ap.add_argument("--duration", type=float, default=30)
    a = ap.parse_args()
    c = STLClient(server=a.server, sync_port=a.sync_port, async_port=a.async_port,
                  verbose_level="error")
    c.connect()
    c.acquire(ports=[0, 1])
    try:
        for count in [int(n) for n in a.counts.split(",")]:
            # 64-byte frames (60 bytes + FCS), one distinct packet per stream.
            streams = [
                STLStream(packet=STLPktBuilder(pkt=Ether() / IP(src="16.0.0.1", dst="48.0.0.1")
                                               / UDP(sport=1024 + i) / ("x" * 18)),
                          mode=STLTXCont(pps=1))
                for i in range(count)
            ]
            times = []
            for n in range(a.warmup + a.trials):
                t0 = time.perf_counter()
                c.reset(ports=[0, 1])
                c.add_streams(streams, ports=[0])
                c.clear_stats()
                c.start(ports=[0], mult="%dpps" % a.pps, duration=a.duration)
                c.wait_on_traffic(ports=[0])
                stats = c.get_stats()
                ms = (time.perf_counter() - t0) * 1000
                expected = round(a.pps * a.duration)
                if stats[0]["opackets"] != expected:
                    raise SystemExit("port 0 sent %s packets, expected %d"
                                     % (stats[0]["opackets"], expected))
                if n >= a.warmup:
                    times.append(ms)
            print(json.dumps({"streams": count, "ms": times}), flush=True)
    finally:
        c.release(ports=[0, 1])
        c.disconnect()


if __name__ == "__main__":
    main()
