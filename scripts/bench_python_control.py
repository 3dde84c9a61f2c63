#!/usr/bin/python3
"""Control-plane overhead of one trial with TRex's Python STLClient (issue 4, item 8):
reset + add_streams + start + wait_on_traffic + get_stats against an emulator at time scale 0,
with 1 and 254 streams. Prints one JSON line per case (median and min ms over --runs).

Run with the trex-core import path set up, e.g. through scripts/check-python-client.sh's
environment: PYTHONPATH=$TREX_CORE/scripts/automation/trex_control_plane/interactive.
"""
import argparse
import json
import statistics
import time

from trex.stl.api import STLClient, STLStream, STLPktBuilder, STLTXCont
from scapy.layers.l2 import Ether
from scapy.layers.inet import IP, UDP


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default="127.0.0.1")
    ap.add_argument("--sync-port", type=int, default=4501)
    ap.add_argument("--async-port", type=int, default=4500)
    ap.add_argument("--runs", type=int, default=20)
    a = ap.parse_args()
    c = STLClient(server=a.server, sync_port=a.sync_port, async_port=a.async_port,
                  verbose_level="error")
    c.connect()
    c.acquire(ports=[0, 1], force=True)
    pkt = STLPktBuilder(pkt=Ether() / IP(src="16.0.0.1", dst="48.0.0.1") / UDP() / ("x" * 18))
    try:
        for count in (1, 254):
            streams = [STLStream(packet=pkt, mode=STLTXCont(pps=1)) for _ in range(count)]
            times = []
            for _ in range(a.runs):
                t0 = time.perf_counter()
                c.reset(ports=[0, 1])
                c.add_streams(streams, ports=[0])
                c.start(ports=[0], mult="1000000pps", duration=10)
                c.wait_on_traffic(ports=[0])
                c.get_stats()
                times.append((time.perf_counter() - t0) * 1000)
            print(json.dumps({"client": "trex-python", "streams": count, "runs": a.runs,
                              "median_ms": round(statistics.median(times), 2),
                              "min_ms": round(min(times), 2)}))
    finally:
        c.release(ports=[0, 1])
        c.disconnect()


if __name__ == "__main__":
    main()
