"""Remake the entry-page screenshots in this folder: the waiting room and the host's view.

    .venv/bin/python docs/screenshots/make.py

They are taken by the browser test that plays the scene (a guest waits on a phone, a host
with two guests waiting on a wider screen), so a picture never shows a page the tests did not
check. Needs Debian's chromium at /usr/bin/chromium and the playwright package.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def main() -> int:
    env = os.environ | {"ENTRY_SCREENSHOTS": str(HERE)}
    test = "tests/test_entry_browser.py::test_guest_waits_host_lets_them_in_without_a_reload"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test]
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
