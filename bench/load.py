"""A small closed-loop HTTP load generator: N keep-alive connections, one request in flight each.

Run as a separate process so its own work never competes for the measured server's (or the
Slack stand-in's) interpreter lock::

    echo '{"url": "http://127.0.0.1:3000/slack/events", "concurrency": 8, "count": 500,
           "seconds": 10, "warmup": 20, "requests": [{"headers": {...}, "body": "..."}]}' \\
        | python -m bench.load

Requests are taken in order (cycling through the list); each connection sends its next request
as soon as the answer to its last one is read. Stops after `count` measured answers or
`seconds` of measuring, whichever comes first. Prints one JSON object: the latency of every
measured answer (seconds), how many were not 2xx, the measuring window's length and how many
requests were sent in all (warm-up included). Only the
standard library is used (``http.client``, with ``TCP_NODELAY`` on the client socket).
"""

from __future__ import annotations

import http.client
import json
import socket
import sys
import threading
import time
from typing import Any
from urllib.parse import urlsplit


def _connect(host: str, port: int) -> http.client.HTTPConnection:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.connect()
    assert conn.sock is not None
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the load described by `spec` (see the module docstring); returns the figures."""
    url = urlsplit(spec["url"])
    host, port = url.hostname or "127.0.0.1", url.port or 80
    path = url.path + (f"?{url.query}" if url.query else "")
    method: str = spec.get("method", "POST")
    prepared = [
        (r.get("headers", {}), r["body"].encode() if r.get("body") is not None else None)
        for r in spec["requests"]
    ]
    concurrency, count = int(spec["concurrency"]), int(spec["count"])
    warmup, seconds = int(spec.get("warmup", 0)), float(spec["seconds"])

    lock = threading.Lock()
    state = {"next": 0, "done": 0, "started": 0.0, "deadline": 0.0}
    latencies: list[float] = []
    errors: list[str] = []
    finished: list[float] = []
    warm = threading.Barrier(concurrency + 1)

    def take() -> int | None:
        with lock:
            if state["next"] >= count + warmup:
                return None
            if state["deadline"] and time.perf_counter() > state["deadline"]:
                return None
            index = int(state["next"])
            state["next"] += 1
            return index

    def worker() -> None:
        conn = _connect(host, port)
        warm.wait()
        while (index := take()) is not None:
            headers, body = prepared[index % len(prepared)]
            began = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                answer = conn.getresponse()
                answer.read()
                status = answer.status
            except (OSError, http.client.HTTPException) as error:
                status = 0
                conn.close()
                conn = _connect(host, port)
                errors.append(type(error).__name__)
            took = time.perf_counter() - began
            with lock:
                state["done"] += 1
                if state["done"] == warmup:  # the measuring window opens now
                    state["started"] = time.perf_counter()
                    state["deadline"] = state["started"] + seconds
                elif state["done"] > warmup:
                    latencies.append(took)
                    finished.append(time.perf_counter())
                    if not 200 <= status < 300:
                        errors.append(str(status))
        conn.close()

    if warmup == 0:
        state["started"] = time.perf_counter()
        state["deadline"] = state["started"] + seconds
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    warm.wait()
    for thread in threads:
        thread.join()
    window = (max(finished) - state["started"]) if finished else 0.0
    return {"latencies": latencies, "errors": errors, "window": window, "sent": state["next"]}


def main() -> int:
    print(json.dumps(run(json.load(sys.stdin))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
