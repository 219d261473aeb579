"""The `coviu-slack` command. See the README for the contract; keep it stable."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coviu-slack", description="Book Coviu video sessions from Slack."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser("serve", help="HTTP mode: Slack requests at /slack/events")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=None, help="default: $PORT or 3000")
    serve.add_argument(
        "--web-only",
        action="store_true",
        help="verify, record and answer Slack's requests; `coviu-slack worker` does the work",
    )

    commands.add_parser("worker", help="run queued work and due reminders from the shared database")

    commands.add_parser("socket", help="Socket Mode (needs SLACK_APP_TOKEN)")

    connect = commands.add_parser(
        "connect-coviu",
        help="connect a workspace to its clinic's Coviu account",
        description="Checks the key and secret by getting a token from the Coviu API, then "
        "keeps them for the workspace (the secret encrypted with COVIU_SLACK_SECRET_KEY). "
        "Workspace admins can do the same from the app's Home tab in Slack.",
    )
    connect.add_argument("--team", required=True, help="the workspace's team id, e.g. T0KIWI")
    connect.add_argument("--enterprise", default=None, help="its Enterprise Grid org id, if any")
    connect.add_argument("--key", required=True, help="the clinic's Coviu API key")
    connect.add_argument(
        "--secret", required=True, help="its secret; '-' reads it from standard input"
    )
    connect.add_argument("--url", default=None, help="Coviu API URL (default: production)")

    commands.add_parser(
        "rotate-key",
        help="re-encrypt stored secrets under the first key of COVIU_SLACK_SECRET_KEY",
        description="Key rotation: put the new key first in COVIU_SLACK_SECRET_KEY (the old "
        "one after it, comma-separated), restart, run this, then drop the old key.",
    )

    shell = commands.add_parser("shell", help="the whole product offline, in this terminal")
    shell.add_argument("--fresh", action="store_true", help="start from an empty database")

    coviu = commands.add_parser(
        "coviu-server",
        help="the local Coviu Session API on its own",
        description="The local Coviu Session API: OAuth2 client credentials, sessions, "
        "participants, entry pages, summaries and webhooks, on one SQLite file.",
        epilog="Revocation: the --client list given at start is the set of clients that work. "
        "A client registered on this --db before and left out now is revoked: its access and "
        "refresh tokens are refused at once and it gets no new ones (its sessions stay, and "
        "come back if it is given again). Starting with a new SECRET for a KEY rotates it: the "
        "old secret stops working and the client's refresh tokens end; its access tokens run "
        "out at their --token-ttl. "
        "Webhooks: with --webhook-url and --webhook-secret the server POSTs Coviu's events "
        '({"type", "createdAt", "payload"}) to the URL with the secret in the '
        "X-Coviu-Webhook-Secret header, once each (no retry), from a background thread.",
    )
    coviu.add_argument("--host", default="127.0.0.1")
    coviu.add_argument("--port", type=int, default=8080)
    coviu.add_argument("--db", default="coviu-local.db", help="SQLite file")
    coviu.add_argument(
        "--client",
        action="append",
        default=[],
        metavar="KEY:SECRET[:TEAM]",
        help="an API client that may get tokens (repeatable); clients of --db not given are "
        "revoked, and a new SECRET for a KEY rotates it",
    )
    coviu.add_argument("--token-ttl", type=int, default=3600, metavar="SECONDS")
    coviu.add_argument("--public-url", default=None, help="base of entry links")
    coviu.add_argument(
        "--webhook-url", default=None, metavar="URL", help="POST Coviu's webhook events here"
    )
    coviu.add_argument(
        "--webhook-secret",
        default=None,
        metavar="SECRET",
        help="sent in the X-Coviu-Webhook-Secret header of every webhook (required with "
        "--webhook-url; also read from COVIU_WEBHOOK_SECRET)",
    )

    parse = commands.add_parser("parse", help="show how booking text is understood")
    parse.add_argument("--now", default=None, help="ISO-8601, local to --tz unless offset")
    parse.add_argument("--tz", default="UTC", help="IANA zone, e.g. Australia/Sydney")
    parse.add_argument("--jsonl", action="store_true", help='read {"text","now","tz"} lines')
    parse.add_argument("text", nargs="*")
    return parser


def resolve_now(text: str | None, tz: str) -> datetime:
    """`--now` as an aware datetime: a wall clock in `tz`, or an instant if it has an offset."""
    zone = ZoneInfo(tz)
    if not text:
        return datetime.now(zone)
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _parse_command(args: argparse.Namespace) -> int:
    if not args.jsonl:
        print(json.dumps(_parse_one({"text": " ".join(args.text), "now": args.now}, args.tz)))
        return 0
    for raw in sys.stdin.buffer:  # bytes: a line that isn't UTF-8 is one bad line, not the end
        if not raw.strip():
            continue
        try:
            item = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):
            answer: dict[str, object] = {"error": "This line isn't JSON."}
        else:
            answer = _parse_one(item, args.tz)
        print(json.dumps(answer), flush=True)
    return 0


def _parse_one(item: object, default_tz: str) -> dict[str, object]:
    """One `parse` answer; a bad input gets `{"error": ...}` rather than ending the stream.

    >>> _parse_one({"text": "3pm", "now": "2026-03-03T09:00", "tz": "Mars/Base"}, "UTC")
    {'error': 'Unknown time zone "Mars/Base": use an IANA name such as "Australia/Sydney".'}
    """
    from bot.when import parse_booking

    if not isinstance(item, dict):
        return {"error": 'Each line must be a JSON object: {"text": ..., "now": ..., "tz": ...}.'}
    text, now, tz = item.get("text", ""), item.get("now"), item.get("tz") or default_tz
    if not isinstance(text, str) or not isinstance(tz, str) or not isinstance(now, str | None):
        return {"error": '"text", "now" and "tz" must be strings ("now" may be left out).'}
    try:
        ZoneInfo(tz)
    except (ValueError, OSError, KeyError):
        return {
            "error": f'Unknown time zone "{tz[:80]}": use an IANA name such as "Australia/Sydney".'
        }
    try:
        moment = resolve_now(now, tz)
    except (ValueError, OverflowError):
        return {"error": f'"now" isn\'t an ISO-8601 time: "{now[:80] if now else ""}".'}
    return parse_booking(text, moment, tz).as_dict()


def _coviu_server_command(args: argparse.Namespace) -> int:
    import logging
    import os

    import uvicorn

    from bot import logsafe
    from bot.coviu.server import ClientRegistration, create_app

    secret = args.webhook_secret or os.environ.get("COVIU_WEBHOOK_SECRET") or None
    if args.webhook_url and not secret:
        print(
            "coviu-slack coviu-server: --webhook-url needs --webhook-secret (or "
            "COVIU_WEBHOOK_SECRET): receivers check it on every event",
            file=sys.stderr,
        )
        return 2
    try:
        clients = [ClientRegistration.parse(spec) for spec in args.client]
    except ValueError as error:
        print(f"coviu-slack coviu-server: --client: {error}", file=sys.stderr)
        return 2
    public_url = args.public_url or f"http://{args.host}:{args.port}"
    # Every logger, uvicorn's access log included, goes through the redaction filter.
    logsafe.install(logging.INFO)
    app = create_app(
        args.db,
        clients,
        token_ttl=args.token_ttl,
        public_url=public_url,
        webhook_url=args.webhook_url,
        webhook_secret=secret,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, log_level="info")
    return 0


def _connect_coviu_command(args: argparse.Namespace) -> int:
    from bot.config import ConfigError, Settings
    from bot.secretbox import SecretKeyError
    from bot.storage import Store
    from bot.workspaces import Workspace
    from bot.workspaces.connect import ConnectError, connect
    from bot.workspaces.registry import Workspaces

    secret = sys.stdin.readline().strip() if args.secret == "-" else args.secret
    try:
        settings = Settings.from_env()
        store = Store.open(settings.database)
    except ConfigError as error:
        print(f"coviu-slack: {error}", file=sys.stderr)
        return 2
    workspace = Workspace(args.enterprise or None, args.team.strip() or None)
    try:
        accounts = Workspaces.open(settings, store).accounts
        account = connect(accounts, workspace, args.key, secret, args.url, by="cli")
    except (ConnectError, SecretKeyError) as error:
        print(f"coviu-slack connect-coviu: {error}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(f"Connected {workspace.label} to Coviu account {account.api_key} at {account.api_url}.")
    return 0


def _rotate_key_command() -> int:
    from bot.config import ConfigError, Settings
    from bot.secretbox import SecretKeyError
    from bot.storage import Store
    from bot.workspaces.registry import secret_box
    from bot.workspaces.store import reseal

    try:
        settings = Settings.from_env()
        if not settings.secret_key:
            raise ConfigError("set COVIU_SLACK_SECRET_KEY to the new key, then the old one")
        store = Store.open(settings.database)
    except (ConfigError, SecretKeyError) as error:
        print(f"coviu-slack rotate-key: {error}", file=sys.stderr)
        return 2
    try:
        count = reseal(store.db, secret_box(settings))
    except SecretKeyError as error:
        print(f"coviu-slack rotate-key: {error}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(f"Re-encrypted {count} stored secrets under the first key; the others can go.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "rotate-key":
        return _rotate_key_command()
    if args.command == "parse":
        return _parse_command(args)
    if args.command == "connect-coviu":
        return _connect_coviu_command(args)
    if args.command == "coviu-server":
        return _coviu_server_command(args)
    from bot import runner

    return runner.run(args)
