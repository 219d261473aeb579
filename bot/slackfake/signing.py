"""Slack's request signing (v0), as Slack applies it to every request it sends an app.

Usage::

    headers = sign("s3cret", body, int(time.time()))
    requests.post(app_url, data=body, headers={**headers, "Content-Type": ...})

The signature is ``v0=`` + hex HMAC-SHA256 over ``v0:{timestamp}:{body}`` keyed by the app's
signing secret; the timestamp travels alongside so the receiver can refuse stale requests.
"""

from __future__ import annotations

import hashlib
import hmac

VERSION = "v0"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Slack-Signature`` value for `body` sent at `timestamp` (epoch seconds)."""
    base = f"{VERSION}:{timestamp}:".encode() + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return f"{VERSION}={digest}"


def sign(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """The two headers Slack adds to a request: timestamp and signature.

    >>> sign("s3cret", b"token=x", 1700000000)["X-Slack-Request-Timestamp"]
    '1700000000'
    """
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, body, timestamp),
    }


def verify(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    """True when `headers` carry a valid signature of `body` (no freshness check)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        timestamp = int(lowered[TIMESTAMP_HEADER.lower()])
        given = lowered[SIGNATURE_HEADER.lower()]
    except (KeyError, ValueError):
        return False
    return hmac.compare_digest(signature(secret, body, timestamp), given)
