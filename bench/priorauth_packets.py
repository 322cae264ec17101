"""Prior-authorization packets per second in one process (issue 8's goal: 10/s per worker).

Renders 50 packets (the four demo orders' shapes in turn: context builder, then WeasyPrint to PDF
bytes) per run, 5 runs, and prints each run's rate and the median. Wall time and this process's
CPU time are both printed: on a shared machine the CPU figure is the steadier one.

    .venv/bin/python bench/priorauth_packets.py [--runs 5] [--packets 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pracops.settings")

import django  # noqa: E402

django.setup()

from priorauth.packet import packet_context, render_packet  # noqa: E402
# The demo orders' inputs as the packet tests build them (FHIR resources, extracted facts, evaluations).
from tests.priorauth.packet_cases import demo_packet_inputs  # noqa: E402

CASES = ("esi", "mbb", "si", "scs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--packets", type=int, default=50)
    args = parser.parse_args()
    inputs = [demo_packet_inputs(case) for case in CASES]
    render_packet(packet_context(**inputs[0]))  # warm-up: fonts and stylesheet load once per process
    walls, cpus, sizes = [], [], []
    for run in range(1, args.runs + 1):
        wall, cpu = time.perf_counter(), time.process_time()
        for index in range(args.packets):
            sizes.append(len(render_packet(packet_context(**inputs[index % len(inputs)]))))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        walls.append(args.packets / wall)
        cpus.append(args.packets / cpu)
        print(f"run {run}: {walls[-1]:.1f} packets/s wall ({wall:.2f} s), {cpus[-1]:.1f} packets/s of CPU")
    print(f"median of {args.runs} runs over {args.packets} packets: {statistics.median(walls):.1f} packets/s wall, "
          f"{statistics.median(cpus):.1f} packets/s of CPU; mean PDF {statistics.mean(sizes) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
