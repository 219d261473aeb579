"""Run the benchmarks: every section, or the ones named.

    python -m bench                 # every section; writes bench/results.md
    python -m bench ack e2e         # only these; prints them, writes nothing
    python -m bench --list

Sections: ``ack`` (1. Slack acknowledgement), ``e2e`` (2. booking end to end), ``parser``
(3. the booking-text parser, `bench/parser.py`), ``coviu`` (4. the local Coviu API),
``memory`` (5. peak RSS of `coviu-slack serve`), ``throughput`` (6. bookings/s with 1, 2
and 4 workers on PostgreSQL, when ``COVIU_TEST_DATABASE_URL`` names one), ``network``
(7. bookings and reminders at 100 ms Slack / 150 ms Coviu latency), ``mornings`` (8. the
morning-list pass each worker runs once a minute), ``tokens`` (9. the cost of taking each
workspace's token from the store per Web API call). Each prints a
markdown table whose figures stand next to a reference measured in the same run, since
absolute times drift between machines and runs. Everything listens on loopback only.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from bench.common import BENCH, section

RESULTS = BENCH / "results.md"


def _ack() -> str:
    from bench import ack

    return ack.run()


def _e2e() -> str:
    from bench import e2e

    return e2e.run()


def _parser() -> str:
    """Section 3 is bench/parser.py as it stands: run it and take its table."""
    from bench import parser

    parser.main([])
    report = parser.RESULTS.read_text()
    rest = report.partition("\n\n")[2]  # its own heading gives way to the section's
    return section("3. Parser", "From `bench/parser.py` (its own results: "
                   "`bench/results-parser.md`).", rest)  # fmt: skip


def _coviu() -> str:
    from bench import coviu_api

    return coviu_api.run()


def _memory() -> str:
    from bench import memory

    return memory.run()


def _network() -> str:
    from bench import network

    return network.run()


def _mornings() -> str:
    from bench import mornings

    return mornings.run()


def _throughput() -> str:
    from bench import throughput

    return throughput.run()


def _tokens() -> str:
    from bench import tokens

    return tokens.run()


SECTIONS: dict[str, Callable[[], str]] = {
    "ack": _ack,
    "e2e": _e2e,
    "parser": _parser,
    "coviu": _coviu,
    "memory": _memory,
    "throughput": _throughput,
    "network": _network,
    "mornings": _mornings,
    "tokens": _tokens,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("sections", nargs="*", metavar="SECTION",
                        help=f"any of: {', '.join(SECTIONS)} (default: all)")  # fmt: skip
    parser.add_argument("--list", action="store_true", help="name the sections and stop")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(SECTIONS))
        return 0
    if unknown := [name for name in args.sections if name not in SECTIONS]:
        parser.error(f"no section {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    chosen = args.sections or list(SECTIONS)
    began = time.monotonic()
    parts = []
    for name in chosen:
        started = time.monotonic()
        print(f"-- {name} …", file=sys.stderr, flush=True)
        text = SECTIONS[name]()
        print(text, flush=True)
        print(f"-- {name}: {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
        parts.append(text)
    took = time.monotonic() - began
    if args.sections:
        return 0
    header = (
        "# Benchmarks\n\n"
        f"`python -m bench` on {datetime.now(UTC):%Y-%m-%d}: Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {_cpus()} CPUs; {took:.0f} s in all. "
        "Every figure stands next to a reference measured in the same run; compare ratios, "
        "not absolute times, across machines.\n"
    )
    RESULTS.write_text(header + "\n" + "\n".join(parts))
    print(f"-- wrote {RESULTS.relative_to(BENCH.parent)} in {took:.0f} s", file=sys.stderr)
    return 0


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    raise SystemExit(main())
