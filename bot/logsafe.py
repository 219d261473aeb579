"""Keep secrets out of log output, whatever library wrote the line.

Our own code never logs tokens or entry links, but libraries at DEBUG do (slack_sdk logs
request bodies, which carry the Join links in DMs; urllib3 logs paths with participant ids).
`install()` puts a filter on the root handlers that rewrites every record::

    >>> redact("Bearer abc.def and https://coviu.test/session/3f2a9c1e-0000-4000-8000-000000000000")
    'Bearer [redacted] and https://coviu.test/session/[redacted]'
"""

from __future__ import annotations

import logging
import re

PATTERNS = [
    # Slack tokens: bot, user, app-level, config and refresh tokens.
    (re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+"), "[redacted]"),
    (re.compile(r"\bxapp-[A-Za-z0-9-]+"), "[redacted]"),
    # Bearer and Basic credentials, in headers or repr'd dicts.
    (re.compile(r"(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 [redacted]"),
    # Entry links and anything else naming a participant id in a path: the id is the secret.
    (re.compile(r"(/session/|/participants/)[0-9a-fA-F-]{8,}"), r"\1[redacted]"),
    # OAuth2 fields in form bodies or JSON.
    (
        re.compile(r"((?:access|refresh)_token['\"]?\s*[:=]\s*['\"]?)[A-Za-z0-9._~+/=-]+"),
        r"\1[redacted]",
    ),
]


def redact(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            # Format the traceback now, redacted, so the handler prints that instead.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install(level: int = logging.INFO) -> None:
    """Configure logging to stderr at `level`, with every line redacted."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
