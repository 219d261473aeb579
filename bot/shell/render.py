"""Block Kit as terminal text, the way a person at the shell should read it.

Slack date tokens are shown in the reader's zone, mentions as @names, mrkdwn emphasis kept
light, and every button numbered so it can be pressed with `press N`::

    >>> renderer = Renderer({"U0BOB": "bob"})
    >>> renderer.text("Hi <@U0BOB>, *see* <!date^1900000000^{date_short_pretty} at {time}|x>",
    ...               "Australia/Sydney")
    'Hi @bob, see 18 Mar 2030 at 4:46 AM AEDT'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

DATE_TOKEN = re.compile(r"<!date\^(\d+)\^([^|>^]*)(?:\^[^|>]*)?(?:\|([^>]*))?>")
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
LINK = re.compile(r"<(https?://[^|>]+)(?:\|([^>]*))?>")
EMOJI = {
    ":white_check_mark:": "✓",
    ":warning:": "⚠",
    ":hourglass_flowing_sand:": "⏳",
    ":alarm_clock:": "⏰",
    ":information_source:": "ℹ",
    ":mag:": "🔍",
    ":x:": "✗",
    ":wave:": "👋",
    ":large_green_circle:": "🟢",
    ":white_circle:": "⚪",
    ":clock3:": "🕒",
}


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y}"


def _time(moment: datetime) -> str:
    return moment.strftime("%I:%M %p").lstrip("0")


def format_date_token(epoch: int, layout: str, tz: str) -> str:
    """Fill a Slack date layout (``{date_long_pretty} {time}``) for a reader in `tz`."""
    moment = datetime.fromtimestamp(epoch, ZoneInfo(tz))
    zone = moment.strftime("%Z")
    values = {
        "date_num": moment.strftime("%Y-%m-%d"),
        "date": _day(moment),
        "date_short": f"{moment.day} {moment:%b %Y}",
        "date_long": f"{moment:%A}, {_day(moment)}",
        "date_pretty": _day(moment),
        "date_short_pretty": _day(moment),
        "date_long_pretty": f"{moment:%A}, {_day(moment)}",
        "time": _time(moment),
        "time_secs": moment.strftime("%I:%M:%S %p").lstrip("0"),
    }
    text = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), layout)
    return f"{text} {zone}" if "{time" in layout and zone else text


@dataclass(frozen=True)
class NumberedButton:
    number: int
    label: str
    action_id: str
    value: str | None
    url: str | None
    # Slack's confirmation dialog, asked before the press counts (title, text, yes, no).
    confirm: tuple[str, str, str, str] | None = None


class Renderer:
    """Turns blocks into lines; `buttons` remembers what each number means."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = dict(names)
        self.buttons: dict[int, tuple[NumberedButton, Any]] = {}
        self._next = 1

    def text(self, text: str, tz: str) -> str:
        text = DATE_TOKEN.sub(lambda m: format_date_token(int(m.group(1)), m.group(2), tz), text)
        text = MENTION.sub(
            lambda m: "@" + (self.names.get(m.group(1)) or m.group(2) or m.group(1)), text
        )
        text = LINK.sub(lambda m: m.group(2) or m.group(1), text)
        for code, symbol in EMOJI.items():
            text = text.replace(code, symbol)
        # Light mrkdwn: drop *bold* and _italic_ markers, keep `code` as is.
        text = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"\1", text)
        return text

    def _button(self, element: dict[str, Any], source: Any) -> str:
        number = self._next
        self._next += 1
        label = element.get("text", {}).get("text", "button")
        confirm = None
        if dialog := element.get("confirm"):
            confirm = (
                dialog.get("title", {}).get("text", "Are you sure?"),
                dialog.get("text", {}).get("text", ""),
                dialog.get("confirm", {}).get("text", "Yes"),
                dialog.get("deny", {}).get("text", "No"),
            )
        button = NumberedButton(
            number, label, element.get("action_id", ""), element.get("value"), element.get("url"),
            confirm,
        )  # fmt: skip
        self.buttons[number] = (button, source)
        return f"[{number}] {label}"

    def blocks(
        self, blocks: Iterable[dict[str, Any]], tz: str, source: Any, fallback: str = ""
    ) -> list[str]:
        """Lines for a message or view; `source` is what a numbered button belongs to."""
        lines: list[str] = []
        for block in blocks:
            kind = block.get("type")
            if kind in ("section", "header"):
                text = (block.get("text") or {}).get("text", "")
                for field in block.get("fields") or []:
                    text += "\n" + field.get("text", "")
                lines += self.text(text, tz).splitlines()
                accessory = block.get("accessory")
                if accessory and accessory.get("type") == "button":
                    lines.append("  " + self._button(accessory, source))
            elif kind == "context":
                parts = [e.get("text", "") for e in block.get("elements", []) if "text" in e]
                lines += ["  " + line for line in self.text(" ".join(parts), tz).splitlines()]
            elif kind == "divider":
                lines.append("  ────────")
            elif kind == "actions":
                labels = [
                    self._button(e, source)
                    for e in block.get("elements", [])
                    if e.get("type") == "button"
                ]
                if labels:
                    lines.append("  " + "  ".join(labels))
        if not lines and fallback:
            lines = self.text(fallback, tz).splitlines()
        return lines


def indent(lines: Iterable[str], prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else line for line in lines)


Printer = Callable[[str], None]
