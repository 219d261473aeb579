"""Keep secrets out of log output, whatever library wrote the line.

Our own code never logs tokens or entry links, but libraries do: slack_sdk logs request bodies
at DEBUG (they carry Join links), urllib3 and uvicorn's access log print paths with participant
ids (the id *is* the Join link's secret), and Bolt's "Invalid request signature" line prints
the whole request body, response_url included.

`install()` sets a log-record factory, so every record of every logger is cleaned when it is
made, before any handler, filter or formatter sees it (handlers added later, and loggers that
do not propagate, such as uvicorn's, included). What is replaced:

- ids in paths (``/session/<id>``, ``/v1/sessions/<id>``, ``/v1/participants/<id>``) become
  ``{id}``, so an access log names the route; any other UUID (participant and session ids
  appear in bodies) becomes ``[id]``;
- bearer and basic credentials, Slack tokens, and the value of any field or header named like
  a token, secret, password or signature;
- Slack response_urls (``https://hooks.slack.com/...``), plain or URL-encoded;
- the token of a calendar file's URL (``/calendar/<team>/<user>/<scope>/<token>.ics``);
- the body in Bolt's "Invalid request signature detected" line.

::

    >>> redact("Bearer abc.def and https://coviu.test/session/3f2a9c1e-0000-4000-8000-000000000000")
    'Bearer [redacted] and https://coviu.test/session/{id}'
    >>> redact('"DELETE /v1/participants/3f2a9c1e-0000-4000-8000-000000000000 HTTP/1.1" 200')
    '"DELETE /v1/participants/{id} HTTP/1.1" 200'
    >>> redact('"GET /calendar/T1/U1/session-abc/q8Zx_2kLm3.ics HTTP/1.1" 200')
    '"GET /calendar/T1/U1/session-abc/[redacted] HTTP/1.1" 200'
    >>> redact("details=in+http%3A%2F%2Fa%2Fcalendar%2FT1%2FU1%2Fseries-s%2FqZ_2.ics&x=1")
    'details=in+http%3A%2F%2Fa%2Fcalendar%2FT1%2FU1%2Fseries-s%2F[redacted]&x=1'
    >>> redact("response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1%2F2%2Fabc&x=1")
    'response_url=https%3A%2F%2Fhooks.slack.com/[redacted]&x=1'
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Bolt prints the body of a request whose signature failed: all of it goes.
    (re.compile(r"(Invalid request signature detected.*?body: ).*", re.DOTALL), r"\1[redacted])"),
    # Slack tokens: bot, user, app-level, config and refresh tokens.
    (re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+"), "[redacted]"),
    (re.compile(r"\bxapp-[A-Za-z0-9-]+"), "[redacted]"),
    # Bearer and Basic credentials, in headers or repr'd dicts.
    (re.compile(r"(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 [redacted]"),
    # Slack response_urls, plain, JSON-escaped or URL-encoded: whoever has one can post.
    (re.compile(r"(hooks\.slack\.com)(?:/|\\/|%2[Ff])[^\s\"'&<>,)]*"), r"\1/[redacted]"),
    # ... and their path wherever it is served (a proxy, Slack's stand-in).
    (re.compile(r"(/(?:commands|actions)/T[A-Z0-9]+/)[^\s\"'&<>,)]+"), r"\1[redacted]"),
    # A calendar file's token (`bot.calendar`) is what keeps someone's Join link theirs.
    # Plain, or URL-encoded inside a Google or Outlook link's details.
    (
        re.compile(
            r"((?:/|%2[Ff])calendar(?:(?:/|%2[Ff])[^/\s?#\"'%&]+){3}(?:/|%2[Ff]))[^/\s?#\"'&%]+"
        ),
        r"\1[redacted]",
    ),
    # Ids in paths: an entry link's id is its secret; the route stays readable.
    (re.compile(r"(/(?:session|sessions|participants)/)[^/\s?#\"'{}]+"), r"\1{id}"),
    # Any other id (participant ids travel in bodies, button values, JSON).
    (re.compile(_UUID), "[id]"),
    # Fields and headers named like a credential: token=..., "refresh_token": "...",
    # X-Coviu-Webhook-Secret: ..., x-slack-signature: v0=...
    (
        re.compile(
            r"((?:token|secret|password|signature|authorization)['\"]?\s*[:=]\s*['\"]?)"
            r"(?!\[redacted\]|Bearer |Basic )[^\s'\",&}\]]+",
            re.IGNORECASE,
        ),
        r"\1[redacted]",
    ),
]


# Every pattern above needs one of these words (in any case) or, for a bare id, four hyphens.
# A line with none of them (most lines: "POST /slack/events HTTP/1.1" 200, "booked S1") is
# returned as it is, without running the patterns, which cost ~90 µs a line: as much as the
# rest of the web process's answer to Slack. Add the word a new pattern needs.
HINTS = ("signature", "xox", "xapp-", "bearer", "basic", "hooks.slack.com", "/commands/",
         "/actions/", "/session", "/participants/", "token", "secret", "password",
         "authorization", "calendar")  # fmt: skip


def _may_hold_secrets(text: str) -> bool:
    if text.count("-") >= 4:
        return True
    lowered = text.lower()
    return any(hint in lowered for hint in HINTS)


def redact(text: str) -> str:
    if not _may_hold_secrets(text):
        return text
    return redact_always(text)


def redact_always(text: str) -> str:
    """Every pattern, no shortcut (what `redact` answers, slower)."""
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _clean_arg(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    return value


def clean(record: logging.LogRecord) -> logging.LogRecord:
    """Redact one record in place: message, arguments, traceback and stack.

    The arguments are cleaned one by one, so formatters that read them (uvicorn's access
    formatter does) keep working; if the message they make still shows something to hide
    (the format string itself, or an argument that is not a string), the record becomes that
    message, redacted, without arguments."""
    args = record.args
    if isinstance(args, tuple):
        record.args = tuple(_clean_arg(arg) for arg in args)
    elif isinstance(args, dict):
        record.args = {key: _clean_arg(value) for key, value in args.items()}
    try:
        message = record.getMessage()
    except (TypeError, ValueError, KeyError):  # a broken format: logging reports it, redacted
        record.msg, message = redact(str(record.msg)), None
    if message is not None:
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactingFilter(logging.Filter):
    """The same cleaning as a handler filter, for handlers set up outside ``install``."""

    def filter(self, record: logging.LogRecord) -> bool:
        clean(record)
        return True


def install_record_factory() -> None:
    """Clean every log record of the process as it is made (idempotent)."""
    current: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()
    if getattr(current, "redacting", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return clean(current(*args, **kwargs))

    factory.redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def install(level: int = logging.INFO) -> None:
    """Configure logging to stderr at `level`, with every line of every logger redacted."""
    install_record_factory()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
