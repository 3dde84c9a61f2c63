"""Runs FD.io CSIT's MLRsearch, unmodified, with trials answered by bench/search.ts.

The DUT model is not ported: every trial MLRsearch asks for is written to stdout as one JSON
line, and bench/search.ts answers on stdin with the TS model's tx/rx, so both searches meet
exactly the same DUT (the emulator's own code), bit for bit.

Protocol, one JSON object per line:
  bench -> driver  {"search": {"maxLoadPps", "lossRatios", "finalDurationS", ...}}
  driver -> bench  {"trial": {"ratePps", "durationS"}}     bench -> driver {"tx", "rx"}
  driver -> bench  {"done": {"lowerBoundsPps": [...], "error": null | "...", "txSum", "rxSum"}}
  (the sums of the counts the driver received: the bench checks them against what it sent)
  bench -> driver  {"quit": true}  (or end of input)

Run by bench/search.ts with CSIT_MLRSEARCH naming resources/libraries/python/MLRsearch of a
CSIT checkout: its parent directory goes on sys.path so the package imports as "MLRsearch".
"""

import json
import os
import sys

CSIT_DIR = os.path.abspath(os.environ["CSIT_MLRSEARCH"])
if not os.path.isfile(os.path.join(CSIT_DIR, "multiple_loss_ratio_search.py")):
    sys.exit(
        f"CSIT_MLRSEARCH={CSIT_DIR} is not a CSIT checkout's "
        "resources/libraries/python/MLRsearch (no multiple_loss_ratio_search.py there)"
    )
sys.path.insert(0, os.path.dirname(CSIT_DIR))

from MLRsearch import (  # noqa: E402  (the path above must come first)
    AbstractMeasurer,
    Config,
    MeasurementResult,
    MultipleLossRatioSearch,
    SearchGoal,
)


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def receive():
    line = sys.stdin.readline()
    if not line:
        sys.exit(0)
    return json.loads(line)


class PipeMeasurer(AbstractMeasurer):
    """Asks bench/search.ts for each trial; sums what it got, for the bench to check."""

    def __init__(self):
        self.tx_sum = 0
        self.rx_sum = 0

    def measure(self, intended_duration, intended_load):
        send({"trial": {"ratePps": intended_load, "durationS": intended_duration}})
        answer = receive()
        self.tx_sum += answer["tx"]
        self.rx_sum += answer["rx"]
        return MeasurementResult(
            intended_duration=intended_duration,
            intended_load=intended_load,
            offered_count=answer["tx"],
            forwarded_count=answer["rx"],
        )


def run(job):
    config = Config()
    config.max_load = float(job["maxLoadPps"])
    config.min_load = float(job["minLoadPps"])
    config.warmup_duration = job["warmupDurationS"]
    config.goals = [
        SearchGoal(
            loss_ratio=ratio,
            exceed_ratio=job["exceedRatio"],
            relative_width=job["relativeWidth"],
            initial_trial_duration=job["initialDurationS"],
            final_trial_duration=job["finalDurationS"],
            duration_sum=job["durationSumS"],
            preceding_targets=job["precedingTargets"],
            expansion_coefficient=job["expansionCoefficient"],
        )
        for ratio in job["lossRatios"]
    ]
    measurer = PipeMeasurer()
    received = lambda: {"txSum": measurer.tx_sum, "rxSum": measurer.rx_sum}  # noqa: E731
    try:
        results = MultipleLossRatioSearch(config=config).search(
            measurer=measurer, debug=lambda _msg: None
        )
    except RuntimeError as err:
        send({"done": {"lowerBoundsPps": [], "error": str(err), **received()}})
        return
    bounds = []
    for goal in config.goals:
        lower = results[goal].relevant_lower_bound
        bounds.append(None if lower is None else float(lower))
    send({"done": {"lowerBoundsPps": bounds, "error": None, **received()}})


def main():
    while True:
        message = receive()
        if "search" not in message:
            return
        run(message["search"])


if __name__ == "__main__":
    main()
