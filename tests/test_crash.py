"""Crash safety with real processes: `bench.crash` at a smaller size, on both databases.

Web and worker processes are killed with SIGKILL in the middle of bursts of bookings and
changes, and started again on the same database. Whatever Slack was told was accepted is
booked exactly once, at Coviu and in the store, and every person gets exactly one invitation
and one reminder. (`python -m bench.crash` runs the full 10 cycles × 20 bookings.)
"""

from __future__ import annotations

import pytest

from bench import crash


@pytest.mark.both_databases
def test_killed_processes_lose_nothing_and_send_nothing_twice(database):
    postgres = database.startswith("postgresql://")
    webs, workers = (2, 2) if postgres else (1, 1)
    result = crash.run(database, cycles=3, burst=8, webs=webs, workers=workers, seed=7)

    assert result["finished"], result
    assert result["acked"] > 0
    assert (result["lost"], result["orphaned"], result["stuck"]) == (0, 0, 0), result
    assert result["booked"] == result["acked"]
    people = int(result["invitations 0/1/2+"].split("/")[1])
    assert people >= 3 * result["acked"]
    assert result["invitations 0/1/2+"] == f"0/{people}/0", result
    assert result["reminders 0/1/2+"] == f"0/{people}/0", result
