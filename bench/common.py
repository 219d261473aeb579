"""What the benchmark sections share: statistics, tables, processes, ports, RSS, load runs."""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
LOOPBACK = "127.0.0.1"

BOT_TOKEN = "xoxb-bench-bot-token"
SIGNING_SECRET = "bench-signing-secret"
COVIU_KEY = "bench-key"
COVIU_SECRET = "bench-secret"


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (`q` in 0..1); the same rule as bench/parser.py."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Figures:
    """Latencies (seconds) of one run and the length of its measuring window."""

    latencies: list[float]
    window: float
    errors: int = 0
    sent: int = 0  # requests sent in all, warm-up included
    cpu: float = 0.0  # seconds the server spent on a CPU meanwhile (see `cpu_seconds`)

    @property
    def cpu_per_request_us(self) -> float:
        return self.cpu / self.sent * 1e6 if self.sent and self.cpu else float("nan")

    def plus(self, other: Figures) -> Figures:
        """Two runs' figures as one: every latency, both windows, errors and requests."""
        return Figures(
            self.latencies + other.latencies,
            self.window + other.window,
            self.errors + other.errors,
            self.sent + other.sent,
            self.cpu + other.cpu,
        )

    @property
    def n(self) -> int:
        return len(self.latencies)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies, 0.99) * 1000 if self.latencies else float("nan")

    @property
    def rate(self) -> float:
        return self.n / self.window if self.window > 0 else float("nan")


def ms(value: float) -> str:
    if value != value:  # NaN
        return "–"
    return f"{value:.1f} ms" if value >= 10 else f"{value:.2f} ms"


def ratio(value: float, reference: float) -> str:
    if reference <= 0 or value != value or reference != reference:
        return "–"
    return f"{value / reference:.2f}×"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> str:
    """A markdown table; `align` holds one of ``l``/``r`` per column (default: first left)."""
    align = align or "l" + "r" * (len(header) - 1)
    marks = ["---" if a == "l" else "---:" for a in align]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(marks) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def wait_http(
    url: str, timeout: float = 30.0, process: subprocess.Popen[Any] | None = None
) -> None:
    """Poll `url` until it answers (any status) or `timeout` passes: the server is up."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer within {timeout:.0f} s") from None
            time.sleep(0.05)


@contextmanager
def spawned(
    args: Sequence[str],
    ready_url: str,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `args` (a server) in a subprocess until the block ends; waits until `ready_url`
    answers. Its output goes to `log` (or nowhere)."""
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    # The server's configuration is what `env` says, not whatever this shell had set.
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "COVIU_", "PORT"))}
    process = subprocess.Popen(
        list(args), cwd=REPO, env={**clean, **(env or {})}, stdout=out, stderr=out
    )
    try:
        wait_http(ready_url, process=process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log:
            out.close()  # type: ignore[union-attr]


def python(*module_args: str) -> list[str]:
    """The command line running ``python -m ...`` with this interpreter."""
    return [sys.executable, "-m", *module_args]


def cpu_seconds(pid: int) -> float:
    """CPU time process `pid` has used so far, every thread's, to the nanosecond (the first
    field of ``/proc/<pid>/task/<tid>/schedstat``): how much work a request costs, which a
    busy machine does not change the way it changes the time an answer takes."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):  # a thread that just ended
            continue
    return total / 1e9


def rss_kib(pid: int) -> tuple[int, int]:
    """(current RSS, peak RSS) of process `pid` in KiB, from /proc (VmRSS, VmHWM)."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields["VmRSS"], fields["VmHWM"]


def load(
    url: str,
    requests_: Sequence[Mapping[str, Any]],
    *,
    concurrency: int,
    count: int,
    seconds: float,
    warmup: int = 20,
    method: str = "POST",
) -> Figures:
    """Run `bench.load` in its own process against `url`; see that module for the rules."""
    spec = {
        "url": url,
        "method": method,
        "concurrency": concurrency,
        "count": count,
        "seconds": seconds,
        "warmup": warmup,
        "requests": list(requests_),
    }
    done = subprocess.run(
        python("bench.load"),
        input=json.dumps(spec).encode(),
        cwd=REPO,
        capture_output=True,
        check=True,
        timeout=seconds + 120,
    )
    result = json.loads(done.stdout)
    return Figures(result["latencies"], result["window"], len(result["errors"]), result["sent"])


def section(title: str, intro: str, body: str) -> str:
    """A results section: heading, a paragraph on what was measured, then the tables."""
    return f"## {title}\n\n{intro.strip()}\n\n{body.strip()}\n"
