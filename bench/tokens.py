"""8. Per-workspace tokens: what asking the database for the workspace's token costs a call.

In multi-workspace mode every Web API call takes its workspace's bot token from the store
(`bot.workspaces.tokens`: a read and a Fernet decrypt, then kept for 30 s) instead of a token
fixed at start. Each client calls `auth.test` on the Slack stand-in on loopback, one call at a
time, the same number of times; the fixed-token client is the reference, measured before and
after the others (its two medians averaged: the machine's drift shows in both). With 50
workspaces installed, the workspace asked for changes every call.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation

from bench.common import percentile, section
from bot.secretbox import SecretBox
from bot.slack.pacing import PacedWebClient, Pacer
from bot.slackfake import FakeSlack
from bot.storage import Store
from bot.workspaces import Workspace, using
from bot.workspaces.store import Installations
from bot.workspaces.tokens import WorkspaceTokens

CALLS = 600
WORKSPACES = 50


def _time(client: PacedWebClient, teams: list[str]) -> list[float]:
    samples = []
    for index in range(CALLS + 50):
        with using(Workspace(None, teams[index % len(teams)])):
            started = time.perf_counter()
            client.auth_test()
            if index >= 50:  # warm-up left out
                samples.append(time.perf_counter() - started)
    return samples


def _store_case(database: str, slack: FakeSlack, teams: list[str]) -> list[float]:
    store = Store.open(database)
    try:
        installs = Installations(store.db, SecretBox.from_keys(Fernet.generate_key().decode()))
        for team in teams:  # each "workspace" holds the one token the stand-in answers
            installs.save(Installation(app_id="A", team_id=team, bot_token=slack.bot_token,
                                       bot_user_id="U0BOT", user_id="U0ADMIN"))  # fmt: skip
        tokens = WorkspaceTokens(installs, "id", "secret", slack.api_url)
        client = PacedWebClient(base_url=slack.api_url, pacer=Pacer(), tokens=tokens)
        return _time(client, teams)
    finally:
        store.close()


def run() -> str:
    rows = []
    with FakeSlack(bot_token="xoxb-bench") as slack, tempfile.TemporaryDirectory() as tmp:
        fixed = PacedWebClient(token=slack.bot_token, base_url=slack.api_url, pacer=Pacer())
        reference = _time(fixed, ["T0CLINIC"])
        cases = [("fixed token (`SLACK_BOT_TOKEN`)", reference)]
        one = ["T0CLINIC"]
        many = [f"T{n:04d}" for n in range(WORKSPACES)]
        first = _store_case(str(Path(tmp) / "a.db"), slack, one)
        cases.append(("token from SQLite, 1 workspace", first))
        cases.append((f"token from SQLite, {WORKSPACES} workspaces in turn",
                      _store_case(str(Path(tmp) / "b.db"), slack, many)))  # fmt: skip
        if url := os.environ.get("COVIU_TEST_DATABASE_URL"):  # its rows are overwritten
            cases.append((f"token from PostgreSQL, {WORKSPACES} workspaces in turn",
                          _store_case(url, slack, many)))  # fmt: skip
        again = _time(fixed, ["T0CLINIC"])
        cases.append(("fixed token again, after the others", again))
        base = (statistics.median(reference) + statistics.median(again)) / 2
        for name, samples in cases:
            median = statistics.median(samples)
            rows.append(
                f"| {name} | {len(samples)} | {median * 1000:.2f} ms | "
                f"{percentile(samples, 0.99) * 1000:.2f} ms | {median / base:.2f}× |"
            )
    table = "\n".join(
        ["| client | calls | median | p99 | median ÷ fixed |", "|---|---:|---:|---:|---:|", *rows]
    )
    return section("9. Per-workspace tokens", __doc__.split("\n\n", 1)[1], table)


if __name__ == "__main__":
    print(run())
