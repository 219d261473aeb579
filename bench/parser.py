"""Benchmark: the booking-text parser next to plain `dateparser.parse`, on the Duckling corpus.

    python -m bench.parser            # prints a markdown table, writes bench/results-parser.md
    python -m bench.parser --rounds 5

Warm: every phrase parsed `--rounds` times by each parser, interleaved so both see the same
machine; median and 99th percentile of the per-call times. Cold: a fresh interpreter imports
the parser and parses one phrase (median of `--cold-runs` runs; interpreter start-up itself is
not counted). Accuracy: starts and ends right on the corpus (plain dateparser has no ends, so
it can only be right on single times). The aim from issue 4: median no slower than 1.5× plain
dateparser, cold start under 0.5 s; from issue 11: median at most 0.2 ms warm, cold first parse
at most 0.3 s, and at least 98% of the corpus right.

The warm figures move with whatever else the machine runs (plain dateparser's, timed in the
same run, is the reference): on a shared machine, run it a few times and take the median.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "data" / "duckling_en_time.jsonl"
RESULTS = Path(__file__).resolve().parent / "results-parser.md"
ZONE = "Etc/GMT+2"  # Duckling's reference zone, UTC-2

_COLD = {
    "ours": (
        "from bot.when import parse_booking; from datetime import datetime; "
        "from zoneinfo import ZoneInfo; "
        "parse_booking({text!r}, datetime(2026, 3, 3, 9, tzinfo=ZoneInfo('UTC')), 'UTC')"
    ),
    "dateparser": "import dateparser; dateparser.parse({text!r})",
}
_TIMER = "import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"


def load() -> list[dict[str, str | None]]:
    return [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]


def ours(text: str, ref: datetime) -> tuple[str | None, str | None]:
    from bot.when import parse_booking

    got = parse_booking(text, ref, ZONE)
    return (
        got.start.isoformat() if got.start else None,
        got.end.isoformat() if got.end else None,
    )


def plain(text: str, ref: datetime) -> tuple[str | None, str | None]:
    import dateparser

    # Plain use: the reference time and a preference for the future, nothing more.
    got = dateparser.parse(
        text, settings={"RELATIVE_BASE": ref.replace(tzinfo=None), "PREFER_DATES_FROM": "future"}
    )
    if got is None:
        return None, None
    if got.tzinfo is None:
        got = got.replace(tzinfo=ZoneInfo(ZONE))
    return got.astimezone(ZoneInfo(ZONE)).isoformat(), None


def warm(cases: list[dict[str, str | None]], rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"ours": [], "dateparser": []}
    runners = {"ours": ours, "dateparser": plain}
    refs = [datetime.fromisoformat(str(c["ref"])) for c in cases]
    for run in runners.values():  # one untimed pass each: imports, caches, first use
        for case, ref in zip(cases, refs, strict=True):
            run(str(case["text"]), ref)
    for _ in range(rounds):
        for case, ref in zip(cases, refs, strict=True):
            for name, run in runners.items():
                t = time.perf_counter()
                run(str(case["text"]), ref)
                times[name].append(time.perf_counter() - t)
    return times


def cold(name: str, text: str, runs: int) -> float:
    code = _TIMER.format(code=_COLD[name].format(text=text))
    samples = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
        )
        samples.append(float(done.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


def accuracy(cases: list[dict[str, str | None]]) -> dict[str, int]:
    right = {"ours": 0, "dateparser": 0}
    for case in cases:
        ref = datetime.fromisoformat(str(case["ref"]))
        want = (case["start"], case["end"])
        right["ours"] += ours(str(case["text"]), ref) == want
        right["dateparser"] += plain(str(case["text"]), ref) == want
    return right


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--rounds", type=int, default=5, help="warm passes over the corpus")
    args.add_argument("--cold-runs", type=int, default=5, help="fresh interpreters per figure")
    opts = args.parse_args(argv)

    cases = load()
    times = warm(cases, opts.rounds)
    right = accuracy(cases)
    cold_figures = {
        (name, text): cold(name, text, opts.cold_runs)
        for name in ("ours", "dateparser")
        for text in ("tomorrow 3pm", "20 March 3pm")
    }
    ms = 1000.0
    rows = [
        "| | booking-text parser | plain `dateparser.parse` | ratio |",
        "|---|---:|---:|---:|",
    ]
    for label, fn in (("median per phrase, warm", statistics.median),
                      ("p99 per phrase, warm", lambda s: percentile(s, 0.99))):  # fmt: skip
        a, b = fn(times["ours"]) * ms, fn(times["dateparser"]) * ms
        rows.append(f"| {label} | {a:.3f} ms | {b:.3f} ms | {a / b:.2f}× |")
    for text in ("tomorrow 3pm", "20 March 3pm"):
        a, b = cold_figures[("ours", text)] * ms, cold_figures[("dateparser", text)] * ms
        rows.append(f'| import + first parse, cold ("{text}") | {a:.0f} ms | {b:.0f} ms '
                    f"| {a / b:.2f}× |")  # fmt: skip
    n = len(cases)
    rows.append(
        f"| Duckling corpus, starts and ends right | {right['ours']}/{n} "
        f"({right['ours'] / n:.1%}) | {right['dateparser']}/{n} ({right['dateparser'] / n:.1%}) "
        "| |"
    )
    table = "\n".join(rows)
    report = (
        "# Booking-text parser benchmark\n\n"
        f"`python -m bench.parser --rounds {opts.rounds} --cold-runs {opts.cold_runs}` — "
        f"{n} Duckling phrases, {opts.rounds} warm rounds, Python "
        f"{sys.version.split()[0]}.\n\n{table}\n"
    )
    print(report)
    RESULTS.write_text(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
