"""Benchmark: how fast the SLA engine evaluates targets, the core of every SLA sweep.

    .venv/bin/python bench/sla_engine.py --tickets 100000

Generates open tickets with random start times over a year, targets from 15 minutes to a week
of business time and a third of them with a pause, and evaluates each against a mainland-China
office calendar (two intervals a day, holidays, make-up days). Prints throughput and latency
percentiles; record results in docs/benchmarks.md with the date and machine.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import time as clock
from datetime import UTC, date, datetime, time, timedelta

from kehu.desk.sla.engine import BusinessCalendar, evaluate_target


def china_office_calendar() -> BusinessCalendar:
    holidays = {date(2026, 10, d) for d in range(1, 8)} | {date(2026, 2, d) for d in range(15, 24)}
    return BusinessCalendar(
        time_zone="Asia/Shanghai",
        weekly=dict.fromkeys(range(5), ((time(9), time(12)), (time(13, 30), time(18)))),
        holidays=frozenset(holidays),
        extra_working_days={date(2026, 10, 10): 4, date(2026, 2, 14): 0},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    calendar = china_office_calendar()
    year_start = datetime(2026, 1, 1, tzinfo=UTC)
    now = datetime(2026, 12, 31, tzinfo=UTC)
    cases = []
    for _ in range(args.tickets):
        start = year_start + timedelta(minutes=rng.randrange(0, 360 * 24 * 60))
        target = timedelta(minutes=rng.choice([15, 30, 60, 240, 480, 960, 2400]))
        pauses = []
        if rng.random() < 1 / 3:
            pause_start = start + timedelta(minutes=rng.randrange(1, 600))
            pauses.append((pause_start, pause_start + timedelta(minutes=rng.randrange(10, 3000))))
        cases.append((start, target, pauses))

    timings = []
    began = clock.perf_counter()
    for start, target, pauses in cases:
        t0 = clock.perf_counter()
        evaluate_target(
            calendar,
            started_at=start,
            target=target,
            now=min(now, start + timedelta(days=3)),
            pauses=pauses,
        )
        timings.append(clock.perf_counter() - t0)
    total = clock.perf_counter() - began
    timings.sort()
    print(
        f"date: {datetime.now(UTC):%Y-%m-%d}  machine: {platform.machine()} {platform.processor() or ''} "
        f"python {platform.python_version()}"
    )
    print(
        f"tickets: {args.tickets}  total: {total:.2f} s  throughput: {args.tickets / total:,.0f} targets/s"
    )
    print(
        f"per target: p50 {statistics.median(timings) * 1e6:.0f} µs  "
        f"p99 {timings[int(len(timings) * 0.99)] * 1e6:.0f} µs  max {timings[-1] * 1e6:.0f} µs"
    )


if __name__ == "__main__":
    main()
