"""What a `/coviu` line asks for, before any time parsing: the verb, the people, the name.

>>> split_verb("book Physio with <@U1|alice> 3pm")
('book', 'Physio with <@U1|alice> 3pm')
>>> split_verb("Physio with <@U1|alice> 3pm")
('book', 'Physio with <@U1|alice> 3pm')
>>> people_and_names('host <@U2|bob> "Pat Smith" <@U3>')
People(guests=('U3',), hosts=('U2',), names=('Pat Smith',), rest='')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.storage import SessionRecord

VERBS = ("book", "list", "cancel", "reschedule", "move", "add", "remove", "help")
ALIASES = {"move": "reschedule", "ls": "list", "delete": "cancel", "invite": "add"}

MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
HOST_MENTIONS = re.compile(r"\bhosts?\s+((?:<@[UW][A-Z0-9]+(?:\|[^>]*)?>[\s,]*(?:and\s+)?)+)", re.I)
QUOTED = re.compile(r"[\"“”]([^\"“”]+)[\"“”]")


def split_verb(text: str) -> tuple[str, str]:
    """The sub-command and the rest. Text that starts with no verb is a booking."""
    text = text.strip()
    if not text:
        return "", ""
    first, _, rest = text.partition(" ")
    verb = ALIASES.get(first.lower(), first.lower())
    if verb in VERBS:
        return verb, rest.strip()
    return "book", text


@dataclass(frozen=True)
class People:
    guests: tuple[str, ...]
    hosts: tuple[str, ...]
    names: tuple[str, ...]
    rest: str


def people_and_names(text: str) -> People:
    """Mentions (after `host` they are hosts), quoted names, and what is left."""
    hosts: list[str] = []
    for group in HOST_MENTIONS.finditer(text):
        hosts += MENTION.findall(group.group(1))
    guests = [user for user in MENTION.findall(text) if user not in hosts]
    names = [name.strip() for name in QUOTED.findall(text) if name.strip()]
    rest = QUOTED.sub(" ", MENTION.sub(" ", HOST_MENTIONS.sub(" ", text)))
    rest = re.sub(r"\b(?:to|from|with|as|host|hosts|guest|and)\b", " ", rest, flags=re.I)
    return People(
        tuple(dict.fromkeys(guests)),
        tuple(dict.fromkeys(hosts)),
        tuple(names),
        " ".join(rest.split()),
    )


def matching(sessions: Sequence[SessionRecord], title: str | None) -> list[SessionRecord]:
    """Sessions whose name contains `title` (any case); all of them when no title is given."""
    if not title:
        return list(sessions)
    wanted = title.casefold()
    exact = [s for s in sessions if s.title.casefold() == wanted]
    return exact or [s for s in sessions if wanted in s.title.casefold()]


def who_and_which(text: str) -> tuple[list[dict[str, str]], str | None]:
    """For `add` and `remove`: the people (Slack users with their role, or guests without
    Slack by name) and the words naming the session, if any.

    With no one mentioned, the first quoted name is a guest without Slack
    (`/coviu add "Pat Smith"`); a quoted name after it, or any other words, names the session.
    """
    found = people_and_names(text)
    quoted = list(found.names)
    names = [quoted.pop(0)] if not (found.guests or found.hosts) and quoted else []
    people = [{"user": u, "role": "HOST"} for u in found.hosts]
    people += [{"user": u, "role": "GUEST"} for u in found.guests]
    people += [{"name": name, "role": "GUEST"} for name in names]
    return people, quoted[0] if quoted else (found.rest or None)
