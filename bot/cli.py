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

    shell = commands.add_parser("shell", help="the whole product offline, in this terminal")
    shell.add_argument("--fresh", action="store_true", help="start from an empty database")

    coviu = commands.add_parser("coviu-server", help="the local Coviu Session API on its own")
    coviu.add_argument("--host", default="127.0.0.1")
    coviu.add_argument("--port", type=int, default=8080)
    coviu.add_argument("--db", default="coviu-local.db", help="SQLite file")
    coviu.add_argument(
        "--client",
        action="append",
        default=[],
        metavar="KEY:SECRET[:TEAM]",
        help="register an API client (repeatable)",
    )
    coviu.add_argument("--token-ttl", type=int, default=3600, metavar="SECONDS")
    coviu.add_argument("--public-url", default=None, help="base of entry links")

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
    from bot.when import parse_booking

    if not args.jsonl:
        result = parse_booking(" ".join(args.text), resolve_now(args.now, args.tz), args.tz)
        print(json.dumps(result.as_dict()))
        return 0
    for line in sys.stdin:
        if not line.strip():
            continue
        item = json.loads(line)
        tz = item.get("tz") or args.tz
        result = parse_booking(item.get("text", ""), resolve_now(item.get("now"), tz), tz)
        print(json.dumps(result.as_dict()), flush=True)
    return 0


def _coviu_server_command(args: argparse.Namespace) -> int:
    import uvicorn

    from bot.coviu.server import ClientRegistration, create_app

    public_url = args.public_url or f"http://{args.host}:{args.port}"
    clients = [ClientRegistration.parse(spec) for spec in args.client]
    app = create_app(args.db, clients, token_ttl=args.token_ttl, public_url=public_url)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "parse":
        return _parse_command(args)
    if args.command == "coviu-server":
        return _coviu_server_command(args)
    from bot import runner

    return runner.run(args)
