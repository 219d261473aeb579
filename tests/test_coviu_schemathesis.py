"""schemathesis over the served OpenAPI document: the document says what the server does.

The local Coviu API runs on a loopback port on a real SQLite file; schemathesis (its command
line, as a user would run it) reads ``/openapi.json`` from it and runs every phase (examples,
coverage, fuzzing, stateful) in positive and negative modes with all checks on. Any finding
fails the test. The configuration below switches nothing off without its reason on the line.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from bot.coviu.server import ClientRegistration, create_app
from bot.httpserve import ServerThread

KEY, SECRET = "st-key", "st-secret"

CONFIG = """
seed = 20261203
continue-on-failure = true

[generation]
max-examples = {examples}

[auth.openapi.HTTPBearer]
bearer = "{token}"

[auth.openapi.HTTPBasic]
username = "{key}"
password = "{secret}"

[checks.positive_data_acceptance]
# Also 410: entry links of sessions and participants the run cancelled are gone for good.
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "410", "429"]

[checks.negative_data_rejection]
# Also 413: a body past the size limit is refused before its schema is looked at.
expected-statuses = ["400", "401", "403", "404", "405", "409", "410", "413", "415", "429"]

[[operations]]
include-operation-id = [
  "create_session_v1_sessions_post",
  "update_session_v1_sessions__session_id__put",
  "list_sessions_v1_sessions_get",
  "list_sessions_singular_alias",
]
# Also 400: start in the future, end after start, a date's weekday are rules JSON Schema can't say.
checks.positive_data_acceptance.expected-statuses = [
  "2xx", "3xx", "400", "401", "403", "404", "409", "410", "429"
]
"""


def schemathesis_command() -> list[str]:
    found = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("schemathesis is not installed (pip install -e '.[test]')")
    return [found]


def test_schemathesis_finds_nothing_with_all_checks_on(tmp_path: Path) -> None:
    app = create_app(
        tmp_path / "coviu.db",
        [ClientRegistration(KEY, SECRET, "clinic")],
        token_ttl=24 * 3600,
    )
    with ServerThread(app) as server:
        token = requests.post(
            f"{server.url}/v1/auth/token",
            auth=(KEY, SECRET),
            data={"grant_type": "client_credentials"},
            timeout=10,
        ).json()["access_token"]
        config = tmp_path / "schemathesis.toml"
        config.write_text(CONFIG.format(examples=25, token=token, key=KEY, secret=SECRET))
        report = tmp_path / "report.json"
        run = subprocess.run(
            [
                *schemathesis_command(),
                "--config-file",
                str(config),
                "--no-color",
                "run",
                f"{server.url}/openapi.json",
                "--checks",
                "all",
                # Off: cancelled sessions/participants stay readable (canceled_time), as in Coviu.
                "--exclude-checks",
                "use_after_free",
                "--mode",
                "all",
                "--phases",
                "examples,coverage,fuzzing,stateful",
                "--report",
                "json",
                "--report-json-path",
                str(report),
            ],
            cwd=tmp_path,  # schemathesis keeps a cache in its working directory
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    output = run.stdout + run.stderr
    (tmp_path / "schemathesis.out").write_text(output)
    assert report.exists(), output[-3000:]
    summary = json.loads(report.read_text())
    assert summary["complete"], output[-3000:]
    assert (summary["failures"], summary["errors"]) == ([], []), output[-8000:]
    assert run.returncode == 0, output[-3000:]
    assert summary["test_cases"], output[-3000:]
